#!/usr/bin/env bash
# IronLB itself in the lab, run from this repo: the controller in ironlb-cp and one speaker in
# each node namespace, each with its own ServiceAccount token (TokenRequest API) and the RBAC of
# manifests/, so RBAC is exercised for real.
# Two controller replicas with leader election and short Lease timings (3 s, renew deadline 2.5 s,
# retry 0.25 s; with a 1 s deadline the leader lost its Lease over and over while a benchmark
# loaded the machine): "controller" (monitoring on 127.0.0.1:7472 in ironlb-cp) and "controller-2"
# (127.0.0.2:7472). The lab keeps "controller" the leader: it starts first, and `restart
# controller` then restarts controller-2 too, which hands the Lease back (released on SIGTERM).
#
#   test/lab/ironlb.sh up | down | status
#   test/lab/ironlb.sh kill WHAT [SIGNAL]      WHAT: controller | controller-2 | speaker-node1..3
#   test/lab/ironlb.sh restart WHAT
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# Both binaries run as the image runs them: MALLOC_ARENA_MAX (Dockerfile ENV) and the Node/V8 flags
# of the chart, the manifests and the Dockerfile (docs/benchmarks.md, "Memory settings").
node_cmd=(env MALLOC_ARENA_MAX=2 node --max-semi-space-size=1 --optimize-for-size --expose-gc)
lab="${root}/.lab"
# shellcheck source=test/lab/common.sh
source "${root}/test/lab/common.sh"
nodes=(node1 node2 node3)

say() { printf '[ironlb] %s\n' "$*" >&2; }
die() { printf '[ironlb] error: %s\n' "$*" >&2; exit 1; }
kubectl() { "${lab}/bin/kubectl" --kubeconfig "${lab}/kubeconfig" "$@"; }

require_lab() {
  [[ $(id -u) -eq 0 ]] || die "needs root (network namespaces)"
  [[ -f "${lab}/kubeconfig" ]] && kubectl get --raw /readyz >/dev/null 2>&1 \
    || die "the lab control plane is not up: run 'make lab-up'"
  local n
  for n in "${nodes[@]}"; do
    [[ -e "/run/netns/ironlb-${n}" ]] || die "node namespace ironlb-${n} missing: run 'make lab-up'"
  done
}

# token_kubeconfig SA FILE: a kubeconfig for ServiceAccount SA, valid inside the lab.
token_kubeconfig() {
  local sa=$1 file=$2 token
  token=$(kubectl -n metallb-system create token "${sa}" --duration=48h) || die "TokenRequest for ${sa} failed"
  write_kubeconfig "${file}" "https://${cp_ip}:6443" "${sa}" "    token: ${token}" metallb-system
}

apply_manifests() {
  # Everything in the install manifest but the workloads: the lab runs the binaries itself.
  awk -v workload='\nkind: (Deployment|DaemonSet)\n' '
    /^---$/ { if (doc !~ workload) printf "%s", doc; doc = "" }
    { doc = doc $0 "\n" }
    END { if (doc !~ workload) printf "%s", doc }' "${root}/manifests/ironlb-native.yaml" |
    kubectl apply -f - >/dev/null
  kubectl wait --for=condition=Established crd --all --timeout=30s >/dev/null
}

# ready NETNS [HOST]: /readyz answers 200 (a standby controller is ready too).
ready() { ip netns exec "$1" curl -fsS --max-time 1 "http://${2:-127.0.0.1}:7472/readyz" >/dev/null 2>&1; }
# leads NAME: that controller replica holds the leader Lease (its ironlb_controller_leader is 1).
leads() {
  local metrics
  metrics=$(ip netns exec ironlb-cp curl -fsS --max-time 1 "http://$(controller_host "$1"):7472/metrics" 2>/dev/null) &&
    grep -q '^ironlb_controller_leader 1$' <<<"${metrics}"
}
controller_host() { if [[ "$1" == controller-2 ]]; then echo 127.0.0.2; else echo 127.0.0.1; fi; }

wait_ready() {
  local name=$1 ns=$2 host=${3:-127.0.0.1} i
  for ((i = 0; i < 100; i++)); do
    ready "${ns}" "${host}" && return 0
    alive "${name}" || die "${name} exited; last lines of .lab/logs/${name}.log:
$(tail -n 10 "${lab}/logs/${name}.log")"
    sleep 0.2
  done
  die "${name} not ready after 20 s; see .lab/logs/${name}.log"
}

# The privileges the manifests give (charts/ironlb/templates/{controller,speaker}.yaml): the
# speaker runs as root with only CAP_NET_RAW and CAP_SYS_NICE (capabilities drop ALL, add NET_RAW,
# SYS_NICE: its frame path's receiving threads run SCHED_FIFO), the controller
# with none; neither can gain more (allowPrivilegeEscalation: false = no_new_privs).
# test/e2e/least-privilege.test.ts checks the running processes.
no_caps=(setpriv --bounding-set=-all --inh-caps=-all --no-new-privs)
speaker_caps=(setpriv --bounding-set=-all,+net_raw,+sys_nice --inh-caps=-all --no-new-privs)

start_controller() {
  local name=${1:-controller}
  start "${name}" ironlb-cp "${no_caps[@]}" "${node_cmd[@]}" "${root}/dist/controller/main.js" \
    --kubeconfig "${lab}/kubeconfig-controller" --metrics-host "$(controller_host "${name}")" \
    --leader-elect-identity "${name}" --leader-elect-lease-duration 3 \
    --leader-elect-renew-deadline 2.5 --leader-elect-retry-period 0.25
}

# wait_leader NAME: NAME leads and its startup gate is open (ready), within 20 s.
wait_leader() {
  local name=$1 i
  for ((i = 0; i < 100; i++)); do
    leads "${name}" && ready ironlb-cp "$(controller_host "${name}")" && return 0
    sleep 0.2
  done
  die "${name} did not become the ready leader within 20 s; see .lab/logs/${name}.log"
}

# restart_controllers: "controller" afresh (controller-2 takes over meanwhile), then controller-2,
# whose release on SIGTERM hands the Lease back to "controller".
restart_controllers() {
  stop controller
  start_controller controller
  wait_ready controller ironlb-cp
  stop controller-2
  start_controller controller-2
  wait_leader controller
  wait_ready controller-2 ironlb-cp 127.0.0.2
}

# The reprobe backoff of an IP another host answers for is capped at 4 s in the lab (production:
# 60 s), so test/e2e/address-conflict.test.ts sees a freed IP announced within seconds.
# BGP mode (test/lab/bgp.sh): the node's own FRR, reached as group frrvty (FRR's vty sockets are
# 0770 frr:frrvty; no extra capability). Only with the BGP CRDs installed: without them the
# speaker's BGP watches never sync.
start_speaker() {
  local n=$1 frr="${lab}/frr/$1"
  local -a bgp=()
  [[ -d "${frr}/run" ]] && grep -q 'name: bgppeers.metallb.io' "${root}/manifests/ironlb-native.yaml" && bgp=(--bgp-frr-config "${frr}/frr.conf" --bgp-frr-vty-socket "${frr}/run"
    --bgp-vtysh "$(command -v vtysh)")
  # As the chart runs it (charts/ironlb/templates/speaker.yaml): a 1 MiB young generation.
  start "speaker-${n}" "ironlb-${n}" "${speaker_caps[@]}" ${bgp[0]:+--groups frrvty} "${node_cmd[@]}" "${root}/dist/speaker/main.js" --node-name "${n}" \
    --kubeconfig "${lab}/kubeconfig-speaker" --metrics-host 127.0.0.1 \
    --probe-backoff-max-ms "${IRONLB_LAB_PROBE_BACKOFF_MAX_MS:-4000}" "${bgp[@]}"
}

all_running() {
  local n
  alive controller && alive controller-2 || return 1
  for n in "${nodes[@]}"; do alive "speaker-${n}" || return 1; done
}

# Starts whatever is not running (a crashed speaker included), like a DaemonSet would.
cmd_up() {
  require_lab
  if all_running && ready ironlb-cp; then say "IronLB is already running"; return 0; fi
  if [[ ! -f "${root}/dist/speaker/main.js" ]] ||
    [[ -n "$(find "${root}/controller" "${root}/speaker" "${root}/lib" -name '*.ts' -newer "${root}/dist/speaker/main.js" | head -n 1)" ]]; then
    say "building IronLB (npm run build)"
    (cd "${root}" && npm run -s build) || die "TypeScript build failed"
  fi
  apply_manifests
  token_kubeconfig controller "${lab}/kubeconfig-controller"
  token_kubeconfig speaker "${lab}/kubeconfig-speaker"
  local n
  if ! alive controller; then
    start_controller controller
    alive controller-2 || wait_leader controller
  fi
  alive controller-2 || start_controller controller-2
  for n in "${nodes[@]}"; do alive "speaker-${n}" || start_speaker "${n}"; done
  wait_ready controller ironlb-cp
  wait_ready controller-2 ironlb-cp 127.0.0.2
  for n in "${nodes[@]}"; do wait_ready "speaker-${n}" "ironlb-${n}"; done
  say "controller (ironlb-cp) and speakers (${nodes[*]}) ready; logs in .lab/logs/"
}

cmd_down() {
  local n
  for n in "${nodes[@]}"; do stop "speaker-${n}"; done
  stop controller-2
  stop controller
  rm -f "${lab}/kubeconfig-controller" "${lab}/kubeconfig-speaker"
}

cmd_status() {
  local name ns rc=0
  for name in controller controller-2 "${nodes[@]/#/speaker-}"; do
    ns=ironlb-cp
    [[ "${name}" == speaker-* ]] && ns="ironlb-${name#speaker-}"
    if alive "${name}"; then
      printf '%-24s running (pid %s)%s%s\n' "${name}" "$(pid_of "${name}")" \
        "$(ready "${ns}" "$(controller_host "${name}")" && echo ', ready')" \
        "$([[ "${name}" == controller* ]] && leads "${name}" && echo ', leader')"
    else
      printf '%-24s stopped\n' "${name}"
      rc=3
    fi
  done
  return "${rc}"
}

check_what() {
  case "$1" in
    controller | controller-2 | speaker-node1 | speaker-node2 | speaker-node3) ;;
    *) die "WHAT must be controller, controller-2 or speaker-node1..3 (got '$1')" ;;
  esac
}

cmd_kill() {
  local what=$1 signal=${2:-TERM}
  check_what "${what}"
  alive "${what}" || die "${what} is not running"
  local pid
  pid=$(pid_of "${what}")
  kill "-${signal}" "${pid}" || die "kill -${signal} ${pid} failed"
  say "sent SIG${signal} to ${what} (pid ${pid})"
}

cmd_restart() {
  local what=$1
  check_what "${what}"
  # Started afresh from this script (not the saved command), so a restart picks up changes to
  # how IronLB is run, such as its privileges.
  case "${what}" in
    controller) restart_controllers ;;
    controller-2) stop "${what}"; start_controller controller-2; wait_ready "${what}" ironlb-cp 127.0.0.2 ;;
    *) stop "${what}"; start_speaker "${what#speaker-}"; wait_ready "${what}" "ironlb-${what#speaker-}" ;;
  esac
  say "${what} restarted (pid $(pid_of "${what}"))"
}

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  kill) cmd_kill "${2:?WHAT}" "${3:-TERM}" ;;
  restart) cmd_restart "${2:?WHAT}" ;;
  *) printf 'usage: %s up|down|status|kill WHAT [SIGNAL]|restart WHAT\n' "$0" >&2; exit 2 ;;
esac
