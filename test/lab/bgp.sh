#!/usr/bin/env bash
# Lab stage 3: BGP. An upstream router namespace running FRR, a client behind it that reaches
# Service IPs only through the BGP routes the nodes announce, and an FRR instance (zebra, bgpd,
# bfdd, staticd; test/lab/frr.sh) in every node namespace for the node's speaker to drive.
#
#   test/lab/bgp.sh up       create (or complete) stage 3 on top of test/lab/nodes.sh
#   test/lab/bgp.sh peers    apply test/lab/bgp-peers.yaml (BGPPeer + BFDProfile of the router)
#   test/lab/bgp.sh down     stop every FRR instance, remove the router and ext namespaces
#   test/lab/bgp.sh status   say what is up (exit 0 when everything is, 3 when not)
#   test/lab/bgp.sh kill frr-NAME [SIGNAL] | restart frr-NAME     NAME: router | node1..3
#   test/lab/bgp.sh router-config   print the router's FRR config (test/integration/frr-lab.test.ts)
#
#   namespace       addresses                                     runs
#   ironlb-router   eth0 198.18.0.254/24 on br0, eth1 198.18.200.1/24   FRR AS 64512, ECMP (maximum-paths 8,
#                                                                  L4 hash), BFD 100 ms x 3
#   ironlb-ext      eth0 198.18.200.100/24, default via 198.18.200.1   whatever a test runs
#   ironlb-nodeN    + route 198.18.200.0/24 via 198.18.0.254          FRR for speaker-nodeN
#
# iBGP (the nodes' BGPPeer says myASN 64512 too): LOCAL_PREF, which BGPAdvertisement.localPref
# sets, travels only inside one AS (RFC 4271 5.1.5), and the e2e test must see it on the router.
# FRR state dirs: .lab/frr/NAME (config, vty sockets in run/), logs in .lab/logs/frr-NAME/.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
lab="${root}/.lab"
# shellcheck source=test/lab/common.sh
source "${root}/test/lab/common.sh"
frr=("${root}/test/lab/frr.sh")
ns_router=ironlb-router
ns_ext=ironlb-ext
router_ip=198.18.0.254
router_ip6=2001:db8:18::254
ext_net=198.18.200.0/24
ext_gw=198.18.200.1
ext_ip=198.18.200.100
instances=(router node1 node2 node3)

say() { printf '[bgp] %s\n' "$*" >&2; }
die() { printf '[bgp] error: %s\n' "$*" >&2; exit 1; }
ns_exists() { [[ -e "/run/netns/$1" ]]; }
kubectl() { "${lab}/bin/kubectl" --kubeconfig "${lab}/kubeconfig" --request-timeout=10s "$@"; }

ns_of() { if [[ "$1" == router ]]; then echo "${ns_router}"; else echo "ironlb-$1"; fi; }
frr_dir() { printf '%s/frr/%s' "${lab}" "$1"; }

require() {
  [[ $(id -u) -eq 0 ]] || die "the lab needs root (network namespaces): run as root or with sudo"
  [[ -x /usr/lib/frr/bgpd && -x /usr/lib/frr/frr-reload.py ]] && command -v vtysh >/dev/null ||
    die "FRR not found: apt-get install frr frr-pythontools (or run 'make deps')"
  local n
  for n in 1 2 3; do
    ns_exists "ironlb-node${n}" || die "node namespace ironlb-node${n} missing: run test/lab/nodes.sh up first"
  done
  ip -n "${ns_cp}" link show br0 >/dev/null 2>&1 || die "no bridge br0 in ${ns_cp}: run 'make lab-up'"
}

router_conf() {
  local n
  cat <<EOF
frr defaults datacenter
hostname ironlb-router
!
bfd
 profile lab-fast
  detect-multiplier 3
  receive-interval 100
  transmit-interval 100
 exit
exit
!
route-map nothing deny 10
exit
!
router bgp 64512
 bgp router-id ${router_ip}
 bgp graceful-restart
 neighbor nodes peer-group
 neighbor nodes remote-as internal
 neighbor nodes bfd profile lab-fast
 neighbor nodes timers connect 2
EOF
  for n in 1 2 3; do printf ' neighbor 198.18.0.1%s peer-group nodes\n' "${n}"; done
  cat <<EOF
 address-family ipv4 unicast
  maximum-paths ibgp 8
  maximum-paths 8
  neighbor nodes route-map nothing out
 exit-address-family
 address-family ipv6 unicast
  maximum-paths ibgp 8
  neighbor nodes activate
  neighbor nodes route-map nothing out
 exit-address-family
exit
EOF
}

# The router: eth0 on br0 like a node, eth1 towards the ext client; forwards, and hashes ECMP
# flows on L4 ports (fib_multipath_hash_policy=1) so connections spread over the nodes.
make_router() {
  ns_exists "${ns_router}" || ip netns add "${ns_router}"
  ns_exists "${ns_ext}" || ip netns add "${ns_ext}"
  ip -n "${ns_router}" link set lo up
  ip -n "${ns_ext}" link set lo up
  ip netns exec "${ns_router}" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 \
    net.ipv4.fib_multipath_hash_policy=1 net.ipv6.fib_multipath_hash_policy=1 \
    net.ipv4.conf.all.rp_filter=0 net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
  if ! ip -n "${ns_router}" link show eth0 >/dev/null 2>&1; then
    ip -n "${ns_cp}" link del v-router 2>/dev/null || true
    ip -n "${ns_cp}" link add v-router type veth peer name eth0 netns "${ns_router}"
  fi
  ip -n "${ns_cp}" link set v-router master br0 up
  ip -n "${ns_router}" addr replace "${router_ip}/24" dev eth0
  ip -n "${ns_router}" -6 addr replace "${router_ip6}/64" dev eth0 nodad
  ip -n "${ns_router}" link set eth0 up
  ip -n "${ns_router}" link show eth1 >/dev/null 2>&1 ||
    ip -n "${ns_router}" link add eth1 type veth peer name eth0 netns "${ns_ext}"
  ip -n "${ns_router}" addr replace "${ext_gw}/24" dev eth1
  ip -n "${ns_ext}" addr replace "${ext_ip}/24" dev eth0
  ip -n "${ns_router}" link set eth1 up
  ip -n "${ns_ext}" link set eth0 up
  ip -n "${ns_ext}" route replace default via "${ext_gw}" dev eth0
  local n
  for n in 1 2 3; do ip -n "ironlb-node${n}" route replace "${ext_net}" via "${router_ip}" dev eth0; done
}

# start_frr NAME [CONFIG]: its logs go to .lab/logs/frr-NAME (kept with the lab's logs).
start_frr() {
  local name=$1 conf=${2:-} dir
  dir=$(frr_dir "${name}")
  mkdir -p "${dir}" "${lab}/logs/frr-${name}"
  [[ -e "${dir}/logs" ]] || ln -s "${lab}/logs/frr-${name}" "${dir}/logs"
  "${frr[@]}" start "$(ns_of "${name}")" "${dir}" ${conf:+"${conf}"} >/dev/null
}

cmd_up() {
  require
  if cmd_status >/dev/null 2>&1; then say "stage 3 (BGP) is already up"; return 0; fi
  local started name pids=() rc=0
  started=$(date +%s%N)
  trap 'say "start-up failed: tearing down stage 3"; cmd_down' EXIT
  say "router ${ns_router} (${router_ip} on br0, AS 64512) and client ${ns_ext} (${ext_ip}) behind it"
  make_router
  mkdir -p "${lab}/frr"
  router_conf >"${lab}/frr/router.conf"
  say "FRR (zebra, bgpd, bfdd, staticd) in ${ns_router} and ironlb-node1..3, logs .lab/logs/frr-*/"
  for name in "${instances[@]}"; do
    if [[ "${name}" == router ]]; then start_frr router "${lab}/frr/router.conf" &
    else start_frr "${name}" & fi
    pids+=($!)
  done
  for name in "${pids[@]}"; do wait "${name}" || rc=1; done
  ((rc == 0)) || die "an FRR instance did not start (see above)"
  trap - EXIT
  say "BGP stage ready in $((($(date +%s%N) - started) / 1000000)) ms"
}

# The router's BGPPeer and BFDProfile: infrastructure, applied with the CRDs (ironlb.sh up).
cmd_peers() {
  if ! kubectl get crd bgppeers.metallb.io >/dev/null 2>&1; then
    say "no BGPPeer CRD installed: the router's peers are not applied"
    return 0
  fi
  kubectl apply -f "${root}/test/lab/bgp-peers.yaml" >/dev/null || die "applying test/lab/bgp-peers.yaml failed"
}

cmd_down() {
  trap - EXIT
  local name
  for name in "${instances[@]}"; do
    [[ -d "$(frr_dir "${name}")" ]] && "${frr[@]}" stop "$(frr_dir "${name}")" &
  done
  wait
  rm -rf "${lab}/frr"
  for name in "${ns_ext}" "${ns_router}"; do
    if ns_exists "${name}"; then
      local pid
      for pid in $(ip netns pids "${name}" 2>/dev/null); do kill -KILL "${pid}" 2>/dev/null || true; done
      ip netns delete "${name}" 2>/dev/null || true
    fi
  done
  ns_exists "${ns_cp}" && ip -n "${ns_cp}" link del v-router 2>/dev/null || true
  for name in 1 2 3; do
    ns_exists "ironlb-node${name}" && ip -n "ironlb-node${name}" route del "${ext_net}" 2>/dev/null || true
  done
  return 0
}

# kill frr-NAME [SIGNAL] / restart frr-NAME: fault handles, as for the other lab daemons. A restart
# starts from the instance's last config (what the speaker or the lab wrote into frr.conf).
frr_pids() { local d; for d in zebra bgpd bfdd staticd; do cat "$1/run/${d}.pid" 2>/dev/null; done; }

cmd_fault() {
  local verb=$1 what=$2 signal=${3:-TERM} name dir pid
  name=${what#frr-}
  [[ " ${instances[*]} " == *" ${name} "* && "${what}" == frr-* ]] ||
    die "WHAT must be frr-router or frr-node1..3 (got '${what}')"
  dir=$(frr_dir "${name}")
  [[ -d "${dir}" ]] || die "${what} was never started (make lab-up)"
  if [[ "${verb}" == kill ]]; then
    "${frr[@]}" status "${dir}" >/dev/null 2>&1 || die "${what} is not running"
    for pid in $(frr_pids "${dir}"); do running "${pid}" && kill "-${signal}" "${pid}"; done
    say "sent SIG${signal} to ${what} (zebra, bgpd, bfdd, staticd)"
  else
    "${frr[@]}" stop "${dir}"
    local conf="${dir}/frr.conf"
    [[ -s "${conf}" ]] || conf=""
    "${frr[@]}" start "$(ns_of "${name}")" "${dir}" ${conf:+"${conf}"} >/dev/null
    say "${what} restarted"
  fi
}

cmd_status() {
  local up=1 name state
  for name in "${instances[@]}"; do
    if ns_exists "$(ns_of "${name}")" && "${frr[@]}" status "$(frr_dir "${name}")" >/dev/null 2>&1; then
      state="FRR running ($(frr_dir "${name}")/run)"
    else
      state="FRR not running"
      up=0
    fi
    printf '%-22s %s\n' "frr-${name}" "${state}"
  done
  if ns_exists "${ns_ext}"; then printf '%-22s %s\n' ext "netns up (${ext_ip}, via ${ext_gw})"
  else printf '%-22s %s\n' ext "no netns"; up=0; fi
  ((up)) || return 3
}

case "${1:-}" in
  up) cmd_up ;;
  peers) cmd_peers ;;
  down) cmd_down ;;
  status) cmd_status ;;
  router-config) router_conf ;;
  kill | restart) require; cmd_fault "$1" "${2:?WHAT}" "${3:-TERM}" ;;
  *) printf 'usage: %s up|peers|down|status|router-config|kill frr-NAME [SIGNAL]|restart frr-NAME\n' "$0" >&2; exit 2 ;;
esac
