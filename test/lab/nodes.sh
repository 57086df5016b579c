#!/usr/bin/env bash
# Lab stage 2: three "nodes" and a client as network namespaces on the control plane's bridge,
# kube-proxy (iptables) in each node, and the lab agent (scheduler + kubelet stand-in).
#
#   test/lab/nodes.sh up       create (or complete) stage 2 on top of a running control plane
#   test/lab/nodes.sh down     remove everything stage 2 made (namespaces, processes, Node objects)
#   test/lab/nodes.sh status   say what is up (exit 0 when everything is, 3 when not)
#
# Needs the control plane of test/lab/lab.sh (namespace ironlb-cp, bridge br0, kube-apiserver on
# 198.18.0.1:6443). Idempotent: `up` only starts what is missing, `down` is safe to run twice.
#
#   namespace       eth0 (veth, peer v-<name> on br0)    pod CIDRs (routed, no bridge)
#   ironlb-node1    198.18.0.11/24  2001:db8:18::11/64    198.19.1.0/24  2001:db8:19:1::/64
#   ironlb-node2    198.18.0.12/24  2001:db8:18::12/64    198.19.2.0/24  2001:db8:19:2::/64
#   ironlb-node3    198.18.0.13/24  2001:db8:18::13/64    198.19.3.0/24  2001:db8:19:3::/64
#   ironlb-client   198.18.0.100/24 2001:db8:18::100/64   -
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
lab="${root}/.lab"
nodes=(node1 node2 node3)
cluster_cidrs="198.19.0.0/16,2001:db8:19::/48"
k8s_version="${IRONLB_K8S_VERSION:-v1.33.13}"
bin="${IRONLB_K8S_BIN:-${IRONLB_CACHE:-${HOME}/.cache/ironlb}/k8s-${k8s_version}/bin}"
ready_timeout="${IRONLB_NODES_READY_TIMEOUT:-60}"
kubectl=("${bin}/kubectl" --kubeconfig "${lab}/kubeconfig" --request-timeout=10s)

say() { printf '[nodes] %s\n' "$*" >&2; }
die() { printf '[nodes] error: %s\n' "$*" >&2; exit 1; }

# Node number N (1..3) -> addresses.
node_ip() { printf '198.18.0.1%s' "$1"; }
node_ip6() { printf '2001:db8:18::1%s' "$1"; }
pod_cidr() { printf '198.19.%s.0/24' "$1"; }
pod_cidr6() { printf '2001:db8:19:%s::/64' "$1"; }

# shellcheck source=test/lab/common.sh
source "${root}/test/lab/common.sh"

ns_exists() { [[ -e "/run/netns/$1" ]]; }
in_ns() { local ns=$1; shift; ip netns exec "${ns}" "$@"; }

apiserver_ready() {
  ns_exists "${ns_cp}" && [[ -f "${lab}/pki/ca.crt" ]] &&
    in_ns "${ns_cp}" curl -fsS --max-time 2 --cacert "${lab}/pki/ca.crt" \
      --cert "${lab}/pki/admin.crt" --key "${lab}/pki/admin.key" \
      "https://${cp_ip}:6443/readyz" 2>/dev/null | grep -qx ok
}

# --- checks ----------------------------------------------------------------------------------------
require_root() {
  [[ $(id -u) -eq 0 ]] || die "the lab needs root (network namespaces): run as root or with sudo"
}

require_tools() {
  local t
  for t in ip curl setsid node; do
    command -v "${t}" >/dev/null || die "'${t}' not found: run 'make deps'"
  done
  for t in iptables ip6tables iptables-save iptables-restore ip6tables-save ip6tables-restore; do
    command -v "${t}" >/dev/null ||
      die "'${t}' not found: kube-proxy (iptables mode) needs it; apt-get install iptables (or run 'make deps')"
  done
  [[ -d "${root}/node_modules/tsx" ]] || die "node_modules/tsx is missing: run 'make deps' (npm ci)"
}

require_binaries() {
  local b
  for b in kube-proxy kubectl; do
    [[ -x "${bin}/${b}" ]] ||
      die "${b} not found in ${bin}: build the Kubernetes binaries with 'make k8s-binaries' (test/lab/build-k8s.sh), or point IRONLB_K8S_BIN at them"
  done
}

require_control_plane() {
  ns_exists "${ns_cp}" ||
    die "the control plane is not up (no network namespace ${ns_cp}): start it with 'make lab-up' (test/lab/lab.sh up)"
  in_ns "${ns_cp}" ip link show br0 >/dev/null 2>&1 ||
    die "the control plane is broken (no bridge br0 in ${ns_cp}): restart it with 'make lab-down lab-up'"
  apiserver_ready ||
    die "the control plane is not up (kube-apiserver at https://${cp_ip}:6443 is not ready): start it with 'make lab-up'; see .lab/logs/apiserver.log"
  [[ -f "${lab}/pki/kube-proxy.crt" && -f "${lab}/kubeconfig" ]] ||
    die "the control plane has no kube-proxy certificate or admin kubeconfig in .lab: restart it with 'make lab-down lab-up'"
}

# iptables (and ip6tables) must work inside a node namespace: kube-proxy relies on both.
require_iptables_in() {
  local ns=$1 out t
  for t in iptables ip6tables; do
    out=$(in_ns "${ns}" "${t}" -w 5 -t nat -S 2>&1) ||
      die "'${t}' does not work inside namespace ${ns} ($(${t} -V 2>&1)): ${out}"
  done
}

# --- namespaces --------------------------------------------------------------------------------------
# attach NS ADDR4 ADDR6: namespace NS with eth0 on br0 (peer v-<NS without "ironlb-"). No
# duplicate address detection in it (addresses usable at once), ARP sysctls left at defaults.
attach() {
  local ns=$1 addr4=$2 addr6=$3 peer="v-${1#ironlb-}"
  ns_exists "${ns}" || ip netns add "${ns}"
  in_ns "${ns}" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
  ip -n "${ns}" link set lo up
  if ! ip -n "${ns}" link show eth0 >/dev/null 2>&1; then
    ip -n "${ns_cp}" link del "${peer}" 2>/dev/null || true
    ip -n "${ns_cp}" link add "${peer}" type veth peer name eth0 netns "${ns}"
  fi
  ip -n "${ns_cp}" link set "${peer}" master br0 up
  ip -n "${ns}" addr replace "${addr4}/24" dev eth0
  ip -n "${ns}" -6 addr replace "${addr6}/64" dev eth0 nodad
  ip -n "${ns}" link set eth0 up
}

# make_node N: node namespace with forwarding, routes to the service CIDRs (a connect() to a
# ClusterIP needs a route before kube-proxy's OUTPUT DNAT applies) and to the other nodes' pods.
make_node() {
  local n=$1 ns="ironlb-node$1" m
  attach "${ns}" "$(node_ip "${n}")" "$(node_ip6 "${n}")"
  in_ns "${ns}" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
  ip -n "${ns}" route replace "${service_cidr4}" via "${cp_ip}" dev eth0
  ip -n "${ns}" -6 route replace "${service_cidr6}" via "${cp_ip6}" dev eth0
  for m in 1 2 3; do
    [[ "${m}" == "${n}" ]] && continue
    ip -n "${ns}" route replace "$(pod_cidr "${m}")" via "$(node_ip "${m}")" dev eth0
    ip -n "${ns}" -6 route replace "$(pod_cidr6 "${m}")" via "$(node_ip6 "${m}")" dev eth0
  done
}

# --- Node objects --------------------------------------------------------------------------------------
node_arch() {
  case "$(uname -m)" in x86_64) echo amd64 ;; aarch64) echo arm64 ;; *) uname -m ;; esac
}

# nodes_manifest: the three Node objects (spec and labels), one YAML stream.
nodes_manifest() {
  local n
  for n in 1 2 3; do
    cat <<EOF
---
apiVersion: v1
kind: Node
metadata:
  name: node${n}
  labels:
    kubernetes.io/hostname: node${n}
    kubernetes.io/os: linux
    kubernetes.io/arch: $(node_arch)
    ironlb.io/lab-node: "true"
spec:
  podCIDR: $(pod_cidr "${n}")
  podCIDRs: ["$(pod_cidr "${n}")", "$(pod_cidr6 "${n}")"]
EOF
  done
}

# node_status N: its status, a merge patch of the status subresource. There is no kubelet and no
# node-lifecycle controller: Ready=True written once stays true.
node_status() {
  local n=$1 now
  now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  cond() { printf '{"type":"%s","status":"%s","reason":"%s","message":"lab node","lastHeartbeatTime":"%s","lastTransitionTime":"%s"}' "$1" "$2" "$3" "${now}" "${now}"; }
  cat <<EOF
{"status":{
  "addresses":[{"type":"InternalIP","address":"$(node_ip "${n}")"},{"type":"InternalIP","address":"$(node_ip6 "${n}")"},{"type":"Hostname","address":"node${n}"}],
  "capacity":{"cpu":"2","memory":"8Gi","pods":"110"},
  "allocatable":{"cpu":"2","memory":"8Gi","pods":"110"},
  "conditions":[$(cond Ready True KubeletReady),$(cond MemoryPressure False KubeletHasSufficientMemory),$(cond DiskPressure False KubeletHasNoDiskPressure),$(cond PIDPressure False KubeletHasSufficientPID),$(cond NetworkUnavailable False RouteCreated)],
  "nodeInfo":{"machineID":"ironlb-lab-node${n}","systemUUID":"ironlb-lab-node${n}","bootID":"ironlb-lab","kernelVersion":"$(uname -r)","osImage":"IronLB lab (network namespace)","containerRuntimeVersion":"lab://agent","kubeletVersion":"${k8s_version}","kubeProxyVersion":"${k8s_version}","operatingSystem":"linux","architecture":"$(node_arch)"}
}}
EOF
}

node_ready() {
  [[ $("${kubectl[@]}" get node "node$1" -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null) == True ]]
}

# Status through curl: three kubectl runs would cost a second, and server-side apply rejects the
# two InternalIP addresses (status.addresses is a list map keyed by type).
make_node_objects() {
  local out n
  out=$(nodes_manifest | "${kubectl[@]}" apply -f - 2>&1) || die "creating the Node objects failed: ${out}"
  for n in 1 2 3; do
    out=$(in_ns "${ns_cp}" curl -fsS --max-time 10 --cacert "${lab}/pki/ca.crt" \
      --cert "${lab}/pki/admin.crt" --key "${lab}/pki/admin.key" -X PATCH \
      -H 'Content-Type: application/merge-patch+json' --data-binary "$(node_status "${n}")" \
      -o /dev/null "https://${cp_ip}:6443/api/v1/nodes/node${n}/status" 2>&1) ||
      die "writing the status of Node node${n} failed: ${out}"
  done
}

# --- kube-proxy ------------------------------------------------------------------------------------
kube_proxy_kubeconfig() {
  local file="${lab}/kubeconfig-kube-proxy"
  [[ -f "${file}" && "${file}" -nt "${lab}/pki/kube-proxy.crt" ]] && return 0
  write_kubeconfig "${file}" "https://${cp_ip}:6443" system:kube-proxy "$(cert_auth kube-proxy)"
}

# Conntrack: max-per-core=0 and both TCP timeouts 0 mean "leave as is", so kube-proxy writes no
# nf_conntrack sysctl (nf_conntrack_max and the hash size are global to the machine). NodePorts
# only on the node's own addresses (primary) and never on localhost, so route_localnet stays 0.
start_kube_proxy() {
  local n=$1 name="kube-proxy-node$1"
  alive "${name}" && return 0
  start "${name}" "ironlb-node${n}" "${bin}/kube-proxy" \
    --kubeconfig="${lab}/kubeconfig-kube-proxy" --hostname-override="node${n}" \
    --proxy-mode=iptables --cluster-cidr="${cluster_cidrs}" \
    --conntrack-max-per-core=0 --conntrack-tcp-timeout-established=0 \
    --conntrack-tcp-timeout-close-wait=0 \
    --nodeport-addresses=primary --iptables-localhost-nodeports=false \
    --metrics-bind-address=127.0.0.1:10249 --healthz-bind-address=127.0.0.1:10256 --v=1
}

kube_proxy_ready() {
  local n=$1
  in_ns "ironlb-node${n}" curl -fsS --max-time 2 -o /dev/null http://127.0.0.1:10256/healthz 2>/dev/null &&
    has_service_rules "ironlb-node${n}" iptables-save &&
    has_service_rules "ironlb-node${n}" ip6tables-save
}

# has_service_rules NS SAVE: kube-proxy's KUBE-SERVICES chain is filled. (grep -c reads all of
# the input: with `grep -q` and pipefail, a long rule set would fail on SIGPIPE.)
has_service_rules() {
  local count
  count=$(in_ns "$1" "$2" -t nat 2>/dev/null | grep -c -- '-A KUBE-SERVICES' || true)
  (( count > 0 ))
}

# --- lab agent -----------------------------------------------------------------------------------------
agent_ready_file="${lab}/agent/ready"

start_agent() {
  alive lab-agent && return 0
  rm -f "${agent_ready_file}"
  start lab-agent - node --import tsx "${root}/test/lab/agent/main.ts" \
    --kubeconfig "${lab}/kubeconfig" --state-dir "${lab}/agent" --nodes "$(IFS=,; echo "${nodes[*]}")"
}

agent_ready() { [[ -f "${agent_ready_file}" ]]; }

# An agent found running without its ready file may be starting or stopping (SIGTERM sent by
# someone else): wait for either, and start a fresh one if it was stopping.
wait_for_agent() {
  local i
  for ((i = 0; i < 40; i++)); do
    alive lab-agent || break
    agent_ready && return 0
    sleep 0.25
  done
  alive lab-agent || start_agent
  wait_for "the lab agent" lab-agent "${ready_timeout}" agent_ready
}

# --- commands ----------------------------------------------------------------------------------------
cmd_up() {
  require_root
  require_tools
  require_binaries
  require_control_plane
  if cmd_status >/dev/null 2>&1; then
    say "stage 2 is already up (test/lab/nodes.sh status)"
    return 0
  fi
  local started n
  started=$(date +%s%N)
  mkdir -p "${lab}/logs" "${lab}/pids" "${lab}/agent"
  # Tear down on failure only what this run created: never nodes other tests are using.
  if ns_exists ironlb-node1; then
    trap 'say "start-up failed; stage 2 was already there, so it stays as it is (nodes.sh down removes it)"' EXIT
  else
    trap 'say "start-up failed: tearing down stage 2"; cmd_down' EXIT
  fi
  say "node namespaces ironlb-node1..3 and ironlb-client on br0"
  for n in 1 2 3; do make_node "${n}"; done
  attach ironlb-client 198.18.0.100 2001:db8:18::100
  require_iptables_in ironlb-node1
  say "lab agent (scheduler + kubelet stand-in), log .lab/logs/lab-agent.log"
  start_agent # starts slowly (Node.js + TypeScript): meanwhile, the rest
  say "Node objects node1..3 (Ready, podCIDRs 198.19.N.0/24 + 2001:db8:19:N::/64)"
  make_node_objects
  kube_proxy_kubeconfig
  say "kube-proxy (iptables) in every node namespace, logs .lab/logs/kube-proxy-nodeN.log"
  for n in 1 2 3; do start_kube_proxy "${n}"; done
  for n in 1 2 3; do wait_for "kube-proxy on node${n}" "kube-proxy-node${n}" "${ready_timeout}" kube_proxy_ready "${n}"; done
  wait_for_agent
  trap - EXIT
  say "nodes ready in $(( ($(date +%s%N) - started) / 1000000 )) ms"
  say "  ip netns exec ironlb-client curl http://198.18.0.11:<nodePort>/"
}

# kill_in NS [quiet]: every process inside NS was started in the lab (pod servers, or speakers a
# test left in a node): stop them by PID, so that deleting NS really frees it.
kill_in() {
  local ns=$1 quiet=${2:-} pid
  for pid in $(ip netns pids "${ns}" 2>/dev/null); do
    [[ -n "${quiet}" ]] ||
      say "  stopping process ${pid} ($(tr '\0' ' ' <"/proc/${pid}/cmdline" 2>/dev/null | cut -c1-70)) left in ${ns}"
    kill -KILL "${pid}" 2>/dev/null || true
  done
}

cmd_down() {
  trap - EXIT
  local n ns
  stop lab-agent
  for n in 1 2 3; do stop "kube-proxy-node${n}"; done
  for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep '^ironlb-pod-' || true); do
    kill_in "${ns}" quiet # the pod servers: the agent is stopped, nobody else will
    ip netns delete "${ns}" 2>/dev/null || true
  done
  rm -rf "${lab}/agent"
  for ns in ironlb-node1 ironlb-node2 ironlb-node3 ironlb-client; do
    ns_exists "${ns_cp}" && ip -n "${ns_cp}" link del "v-${ns#ironlb-}" 2>/dev/null || true
    if ns_exists "${ns}"; then
      kill_in "${ns}"
      ip netns delete "${ns}" 2>/dev/null || true
    fi
  done
  if apiserver_ready && [[ -x "${bin}/kubectl" && -f "${lab}/kubeconfig" ]]; then
    # As the pod GC controller does for pods on deleted nodes; there is no kubelet to end them.
    for n in "${nodes[@]}"; do
      "${kubectl[@]}" delete pods --all-namespaces --field-selector "spec.nodeName=${n}" \
        --grace-period=0 --force --wait=false >/dev/null 2>&1 || true
    done
    "${kubectl[@]}" delete node "${nodes[@]}" --ignore-not-found >/dev/null 2>&1 ||
      say "could not delete the Node objects (kubectl delete node ${nodes[*]})"
  fi
  rm -f "${lab}/kubeconfig-kube-proxy"
  say "nodes are down"
}

cmd_status() {
  local up=1 n name state
  printf '%-22s %s\n' COMPONENT STATE
  for n in 1 2 3; do
    name="kube-proxy-node${n}"
    if ns_exists "ironlb-node${n}"; then state="netns up"; else state="no netns"; up=0; fi
    if alive "${name}"; then
      state+=", kube-proxy running (pid $(pid_of "${name}"))"
      if [[ $(id -u) -eq 0 ]] && kube_proxy_ready "${n}"; then state+=", rules programmed"
      else state+=", rules not programmed"; up=0; fi
    else state+=", kube-proxy stopped"; up=0; fi
    printf '%-22s %s\n' "node${n}" "${state}"
  done
  if ns_exists ironlb-client; then printf '%-22s %s\n' client "netns up (198.18.0.100)"
  else printf '%-22s %s\n' client "no netns"; up=0; fi
  if alive lab-agent && agent_ready; then
    printf '%-22s running (pid %s), %s pod namespaces\n' lab-agent "$(pid_of lab-agent)" \
      "$(ip netns list 2>/dev/null | grep -c '^ironlb-pod-' || true)"
  elif alive lab-agent; then
    printf '%-22s starting or stopping (pid %s)\n' lab-agent "$(pid_of lab-agent)"
    up=0
  else printf '%-22s stopped\n' lab-agent; up=0; fi
  if [[ $(id -u) -eq 0 ]] && apiserver_ready; then
    for n in 1 2 3; do
      if node_ready "${n}"; then state="Ready"; else state="missing or not Ready"; up=0; fi
      printf '%-22s %s\n' "Node node${n}" "${state}"
    done
  else
    printf '%-22s %s\n' apiserver "not ready (control plane down?)"
    up=0
  fi
  (( up )) || return 3
}

case "${1:-}" in
  up) cmd_up ;;
  down) require_root; cmd_down ;;
  status) cmd_status ;;
  *) printf 'usage: %s up|down|status\n' "$0" >&2; exit 2 ;;
esac
