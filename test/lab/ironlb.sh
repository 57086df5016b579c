#!/usr/bin/env bash
# IronLB itself in the lab, run from this repo: the controller in ironlb-cp and one speaker in
# each node namespace, each with its own ServiceAccount token (TokenRequest API) and the RBAC of
# manifests/, so RBAC is exercised for real.
#
#   test/lab/ironlb.sh up | down | status
#   test/lab/ironlb.sh kill WHAT [SIGNAL]      WHAT: controller | speaker-node1..3
#   test/lab/ironlb.sh restart WHAT
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
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

ready() { ip netns exec "$1" curl -fsS --max-time 1 "http://127.0.0.1:7472/readyz" >/dev/null 2>&1; }

wait_ready() {
  local name=$1 ns=$2 i
  for ((i = 0; i < 100; i++)); do
    ready "${ns}" && return 0
    alive "${name}" || die "${name} exited; last lines of .lab/logs/${name}.log:
$(tail -n 10 "${lab}/logs/${name}.log")"
    sleep 0.2
  done
  die "${name} not ready after 20 s; see .lab/logs/${name}.log"
}

# The privileges the manifests give (charts/ironlb/templates/{controller,speaker}.yaml): the
# speaker runs as root with only CAP_NET_RAW (capabilities drop ALL, add NET_RAW), the controller
# with none; neither can gain more (allowPrivilegeEscalation: false = no_new_privs).
# test/e2e/least-privilege.test.ts checks the running processes.
no_caps=(setpriv --bounding-set=-all --inh-caps=-all --no-new-privs)
net_raw_only=(setpriv --bounding-set=-all,+net_raw --inh-caps=-all --no-new-privs)

start_controller() {
  start controller ironlb-cp "${no_caps[@]}" node "${root}/dist/controller/main.js" \
    --kubeconfig "${lab}/kubeconfig-controller" --metrics-host 127.0.0.1
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
  start "speaker-${n}" "ironlb-${n}" "${net_raw_only[@]}" ${bgp[0]:+--groups frrvty} node "${root}/dist/speaker/main.js" --node-name "${n}" \
    --kubeconfig "${lab}/kubeconfig-speaker" --metrics-host 127.0.0.1 \
    --probe-backoff-max-ms "${IRONLB_LAB_PROBE_BACKOFF_MAX_MS:-4000}" "${bgp[@]}"
}

all_running() {
  local n
  alive controller || return 1
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
  alive controller || start_controller
  local n
  for n in "${nodes[@]}"; do alive "speaker-${n}" || start_speaker "${n}"; done
  wait_ready controller ironlb-cp
  for n in "${nodes[@]}"; do wait_ready "speaker-${n}" "ironlb-${n}"; done
  say "controller (ironlb-cp) and speakers (${nodes[*]}) ready; logs in .lab/logs/"
}

cmd_down() {
  local n
  for n in "${nodes[@]}"; do stop "speaker-${n}"; done
  stop controller
  rm -f "${lab}/kubeconfig-controller" "${lab}/kubeconfig-speaker"
}

cmd_status() {
  local name ns rc=0
  for name in controller "${nodes[@]/#/speaker-}"; do
    ns=ironlb-cp
    [[ "${name}" == speaker-* ]] && ns="ironlb-${name#speaker-}"
    if alive "${name}"; then
      printf '%-24s running (pid %s)%s\n' "${name}" "$(pid_of "${name}")" "$(ready "${ns}" && echo ', ready')"
    else
      printf '%-24s stopped\n' "${name}"
      rc=3
    fi
  done
  return "${rc}"
}

check_what() {
  case "$1" in
    controller | speaker-node1 | speaker-node2 | speaker-node3) ;;
    *) die "WHAT must be controller or speaker-node1..3 (got '$1')" ;;
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
  stop "${what}"
  # Started afresh from this script (not the saved command), so a restart picks up changes to
  # how IronLB is run, such as its privileges.
  if [[ "${what}" == controller ]]; then start_controller; else start_speaker "${what#speaker-}"; fi
  local ns=ironlb-cp
  [[ "${what}" == speaker-* ]] && ns="ironlb-${what#speaker-}"
  wait_ready "${what}" "${ns}"
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
