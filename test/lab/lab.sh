#!/usr/bin/env bash
# The IronLB lab: a real Kubernetes control plane in network namespaces on this machine.
#
#   test/lab/lab.sh up       start (or reuse) the control plane; prints how to reach it
#   test/lab/lab.sh down     remove every namespace, interface, process and temp dir it made
#   test/lab/lab.sh status   say what is up (exit 0 when the apiserver is ready, 3 when not)
#
# Namespace ironlb-cp holds bridge br0 (198.18.0.1/24, 2001:db8:18::1/64), etcd on its loopback
# (data on tmpfs) and kube-apiserver on 198.18.0.1:6443. The host reaches the apiserver through
# 127.0.0.1:${IRONLB_LAB_PORT:-6443}, a socat bridge over a Unix socket, so nothing on the
# machine's own interfaces or routes changes. Admin kubeconfig: .lab/kubeconfig.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
lab="${root}/.lab"
run="/dev/shm/ironlb-lab"
host_port="${IRONLB_LAB_PORT:-6443}"
ready_timeout="${IRONLB_LAB_READY_TIMEOUT:-120}"
# No node-lifecycle controller: the lab's "nodes" have no kubelet to post heartbeats.
kcm_controllers="namespace-controller,garbage-collector-controller,endpointslice-controller,deployment-controller,replicaset-controller,serviceaccount-controller,serviceaccount-token-controller,root-ca-certificate-publisher-controller"

say() { printf '[lab] %s\n' "$*" >&2; }
die() { printf '[lab] error: %s\n' "$*" >&2; exit 1; }

# shellcheck source=test/lab/common.sh
source "${root}/test/lab/common.sh"

in_cp() { ip netns exec "${ns_cp}" "$@"; }

apiserver_ready() {
  in_cp curl -fsS --max-time 2 --cacert "${lab}/pki/ca.crt" --cert "${lab}/pki/admin.crt" \
    --key "${lab}/pki/admin.key" "https://${cp_ip}:6443/readyz" 2>/dev/null | grep -qx ok
}

host_bridge_ready() {
  curl -fsS --max-time 2 --cacert "${lab}/pki/ca.crt" --cert "${lab}/pki/admin.crt" \
    --key "${lab}/pki/admin.key" "https://127.0.0.1:${host_port}/readyz" 2>/dev/null | grep -qx ok
}

require_tools() {
  [[ $(id -u) -eq 0 ]] || die "the lab needs root (network namespaces, bridges): run as root or with sudo"
  local t
  for t in ip iptables curl openssl socat setsid; do
    command -v "${t}" >/dev/null || die "'${t}' not found: run 'make deps' (or apt-get install iproute2 iptables curl openssl socat)"
  done
}

# --- PKI -----------------------------------------------------------------------------------------
# client_cert NAME CN ORG: a client certificate signed by the lab CA.
client_cert() {
  local name=$1 cn=$2 org=$3 pki="${lab}/pki"
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "${pki}/${name}.key" -subj "/CN=${cn}${org:+/O=${org}}" -out "${pki}/${name}.csr" 2>/dev/null
  openssl x509 -req -in "${pki}/${name}.csr" -CA "${pki}/ca.crt" -CAkey "${pki}/ca.key" \
    -CAcreateserial -days 30 -out "${pki}/${name}.crt" \
    -extfile <(printf 'extendedKeyUsage=clientAuth\n') 2>/dev/null
  rm -f "${pki}/${name}.csr"
}

make_pki() {
  local pki="${lab}/pki"
  [[ -f "${pki}/ca.crt" && -f "${pki}/admin.crt" && -f "${pki}/sa.key" ]] && return 0
  say "creating the lab PKI in .lab/pki"
  mkdir -p "${pki}"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 \
    -keyout "${pki}/ca.key" -out "${pki}/ca.crt" -subj "/CN=ironlb-lab-ca" 2>/dev/null
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "${pki}/apiserver.key" -subj "/CN=kube-apiserver" -out "${pki}/apiserver.csr" 2>/dev/null
  openssl x509 -req -in "${pki}/apiserver.csr" -CA "${pki}/ca.crt" -CAkey "${pki}/ca.key" \
    -CAcreateserial -days 30 -out "${pki}/apiserver.crt" -extfile <(printf '%s\n' \
      "extendedKeyUsage=serverAuth" \
      "subjectAltName=IP:${cp_ip},IP:127.0.0.1,IP:198.18.128.1,IP:${cp_ip6},DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local") 2>/dev/null
  rm -f "${pki}/apiserver.csr"
  client_cert admin ironlb-lab-admin system:masters
  client_cert controller-manager system:kube-controller-manager ""
  client_cert kube-proxy system:kube-proxy ""
  openssl genrsa -out "${pki}/sa.key" 2048 2>/dev/null
  openssl rsa -in "${pki}/sa.key" -pubout -out "${pki}/sa.pub" 2>/dev/null
  chmod 600 "${pki}"/*.key
}

# --- network ---------------------------------------------------------------------------------------
make_network() {
  ip netns add "${ns_cp}" || die "cannot create network namespace ${ns_cp}"
  in_cp ip link set lo up
  in_cp ip link add br0 type bridge
  in_cp ip link set br0 up
  in_cp ip addr add "${cp_ip}/24" dev br0
  in_cp ip -6 addr add "${cp_ip6}/64" dev br0 nodad
  in_cp sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
}

port_taken_in_cp() { in_cp ss -Htln "sport = :$1" | grep -q .; }
host_port_taken() { ss -Htln "sport = :$1" | grep -q "127.0.0.1:$1\|\*:$1\|0.0.0.0:$1\|\[::\]:$1"; }

kcm_ready() { in_cp curl -fsSk --max-time 2 https://127.0.0.1:10257/healthz 2>/dev/null | grep -qx ok; }

etcd_ready() { in_cp curl -fsS --max-time 2 http://127.0.0.1:2379/health 2>/dev/null | grep -q '"health":"true"'; }

etcd_bin() {
  local d
  d=$(ls -d "${IRONLB_CACHE:-${HOME}/.cache/ironlb}"/etcd-*/usr/bin/etcd 2>/dev/null | head -n 1) || true
  [[ -n "${d}" ]] || { bash "${root}/test/lab/deps.sh" --no-npm; d=$(ls -d "${IRONLB_CACHE:-${HOME}/.cache/ironlb}"/etcd-*/usr/bin/etcd | head -n 1); }
  printf '%s\n' "${d}"
}

# The whole lab: control plane, then nodes (test/lab/nodes.sh), then IronLB (test/lab/ironlb.sh).
# Each stage only starts what is missing.
cmd_up() {
  require_tools
  if [[ -f "${lab}/pki/ca.crt" ]] && alive apiserver && host_bridge_ready; then
    say "control plane already up (kubeconfig: .lab/kubeconfig)"
  else
    control_plane_up
  fi
  bash "${root}/test/lab/nodes.sh" up
  bash "${root}/test/lab/bgp.sh" up
  bash "${root}/test/lab/ironlb.sh" up
  bash "${root}/test/lab/bgp.sh" peers
}

control_plane_up() {
  if ip netns list | grep -q "^${ns_cp}\b" || [[ -d "${lab}/pids" ]]; then
    say "found a half-started lab: cleaning it up first"
    cmd_down
  fi
  host_port_taken "${host_port}" && die "port 127.0.0.1:${host_port} is taken on this machine; set IRONLB_LAB_PORT to a free port"

  local bin etcd started
  started=$(date +%s)
  if [[ -n "${IRONLB_K8S_BIN:-}" ]]; then
    bin="${IRONLB_K8S_BIN}" # binaries built elsewhere
  else
    bin=$(bash "${root}/test/lab/build-k8s.sh") || die "building the Kubernetes binaries failed (see above)"
  fi
  etcd=$(etcd_bin)
  mkdir -p "${lab}/logs" "${lab}/pids" "${run}"
  trap 'say "start-up failed: tearing down what was created"; cmd_down' EXIT
  make_pki
  say "network namespace ${ns_cp} with bridge br0 (${cp_ip}/24, ${cp_ip6}/64)"
  make_network
  port_taken_in_cp 6443 && die "port 6443 is taken inside ${ns_cp}"

  say "starting etcd ($("${etcd}" --version | head -n 1 | awk '{print $3}'), data on tmpfs ${run}/etcd)"
  start etcd "${ns_cp}" "${etcd}" --name lab --data-dir "${run}/etcd" \
    --listen-client-urls http://127.0.0.1:2379 --advertise-client-urls http://127.0.0.1:2379 \
    --listen-peer-urls http://127.0.0.1:2380 --initial-advertise-peer-urls http://127.0.0.1:2380 \
    --initial-cluster lab=http://127.0.0.1:2380 --quota-backend-bytes 4294967296 \
    --snapshot-count 100000
  wait_for etcd etcd 30 etcd_ready

  say "starting kube-apiserver ($("${bin}/kube-apiserver" --version | awk '{print $2}')) on ${cp_ip}:6443"
  local pki="${lab}/pki"
  # Audit log of what IronLB's ServiceAccounts do (test/audit/rbac-used.test.ts proves every
  # RBAC rule in manifests/ is used). It covers the whole life of this cluster (one `up` to the
  # next `down`, which removes it), across apiserver restarts, which append to it.
  mkdir -p "${lab}/audit"
  cat >"${lab}/audit/policy.yaml" <<'POLICY'
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: Metadata
    users:
      - system:serviceaccount:metallb-system:controller
      - system:serviceaccount:metallb-system:speaker
  - level: None
POLICY
  start apiserver "${ns_cp}" "${bin}/kube-apiserver" \
    --etcd-servers=http://127.0.0.1:2379 \
    --bind-address="${cp_ip}" --advertise-address="${cp_ip}" --secure-port=6443 \
    --cert-dir="${run}/apiserver-certs" \
    --tls-cert-file="${pki}/apiserver.crt" --tls-private-key-file="${pki}/apiserver.key" \
    --client-ca-file="${pki}/ca.crt" \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-account-key-file="${pki}/sa.pub" --service-account-signing-key-file="${pki}/sa.key" \
    --service-cluster-ip-range="${service_cidr4},${service_cidr6}" \
    --authorization-mode=Node,RBAC --allow-privileged=true --profiling=false \
    --event-ttl=1h --v=1 \
    --audit-policy-file="${lab}/audit/policy.yaml" --audit-log-path="${lab}/audit/audit.log" \
    --audit-log-format=json --audit-log-maxsize=200 --audit-log-maxbackup=1
  wait_for kube-apiserver apiserver "${ready_timeout}" apiserver_ready

  write_kubeconfig "${lab}/kubeconfig-controller-manager" "https://${cp_ip}:6443" \
    system:kube-controller-manager "$(cert_auth controller-manager)"
  say "starting kube-controller-manager (${kcm_controllers})"
  start controller-manager "${ns_cp}" "${bin}/kube-controller-manager" \
    --kubeconfig="${lab}/kubeconfig-controller-manager" \
    --authentication-kubeconfig="${lab}/kubeconfig-controller-manager" \
    --authorization-kubeconfig="${lab}/kubeconfig-controller-manager" \
    --bind-address=127.0.0.1 --secure-port=10257 --cert-dir="${run}/kcm-certs" \
    --controllers="${kcm_controllers}" --leader-elect=false --use-service-account-credentials \
    --service-account-private-key-file="${pki}/sa.key" --root-ca-file="${pki}/ca.crt" \
    --cluster-cidr=198.19.0.0/16 --service-cluster-ip-range="${service_cidr4},${service_cidr6}" --v=1
  wait_for kube-controller-manager controller-manager 60 kcm_ready

  start apiserver-bridge-cp "${ns_cp}" socat "UNIX-LISTEN:${run}/apiserver.sock,fork,unlink-early,mode=600" \
    "TCP:${cp_ip}:6443"
  for _ in $(seq 50); do [[ -S "${run}/apiserver.sock" ]] && break; sleep 0.1; done
  start apiserver-bridge-host - socat "TCP-LISTEN:${host_port},bind=127.0.0.1,fork,reuseaddr" \
    "UNIX-CONNECT:${run}/apiserver.sock"
  write_kubeconfig "${lab}/kubeconfig" "https://127.0.0.1:${host_port}" ironlb-lab-admin "$(cert_auth admin)"
  write_kubeconfig "${lab}/kubeconfig-in-lab" "https://${cp_ip}:6443" ironlb-lab-admin "$(cert_auth admin)"
  wait_for "the host bridge 127.0.0.1:${host_port}" apiserver-bridge-host 10 host_bridge_ready

  mkdir -p "${lab}/bin"
  ln -sf "${bin}/kubectl" "${lab}/bin/kubectl"
  command -v kubectl >/dev/null || ln -s "${bin}/kubectl" /usr/local/bin/kubectl
  trap - EXIT
  say "control plane ready in $(( $(date +%s) - started ))s"
  say "  kubectl --kubeconfig .lab/kubeconfig get --raw /readyz"
  say "  make lab-status | make lab-down"
}

cmd_down() {
  trap - EXIT
  local name pid nsn
  if [[ -d "${lab}/pids" ]]; then
    bash "${root}/test/lab/ironlb.sh" down || true
    bash "${root}/test/lab/bgp.sh" down || true
    bash "${root}/test/lab/nodes.sh" down || true
  fi
  if [[ -d "${lab}/pids" ]]; then
    for name in apiserver-bridge-host apiserver-bridge-cp controller-manager apiserver etcd; do
      stop "${name}"
    done
    for f in "${lab}"/pids/*.pid; do [[ -e "${f}" ]] && stop "$(basename "${f}" .pid)"; done
    rmdir "${lab}/pids" 2>/dev/null || true
  fi
  # Anything still running inside our namespaces was started by the lab: stop it by PID.
  # Only the lab's own namespaces: tests' ironlb-t* namespaces are theirs to remove.
  for nsn in $(ip netns list 2>/dev/null | awk '{print $1}' | grep -E '^ironlb-(cp|client|router|ext|node[0-9]+|pod-.+)$' || true); do
    for pid in $(ip netns pids "${nsn}" 2>/dev/null); do kill -KILL "${pid}" 2>/dev/null || true; done
    ip netns delete "${nsn}" 2>/dev/null || true
  done
  rm -rf "${run}"
  rm -f "${lab}"/kubeconfig*
  rm -rf "${lab}/pki" "${lab}/audit"
  say "lab is down"
}

cmd_status() {
  local name up=0
  printf '%-24s %s\n' COMPONENT STATE
  for name in etcd apiserver controller-manager apiserver-bridge-cp apiserver-bridge-host; do
    if alive "${name}"; then printf '%-24s running (pid %s)\n' "${name}" "$(pid_of "${name}")"
    else printf '%-24s stopped\n' "${name}"; fi
  done
  if [[ $(id -u) -eq 0 ]] && ip netns list 2>/dev/null | grep -q "^${ns_cp}\b" && apiserver_ready; then
    printf '%-24s %s\n' readyz "ok (https://${cp_ip}:6443 in ${ns_cp})"
    up=1
  else
    printf '%-24s %s\n' readyz "not ready"
  fi
  if [[ -f "${lab}/pki/ca.crt" ]] && host_bridge_ready; then
    printf '%-24s %s\n' kubeconfig ".lab/kubeconfig -> https://127.0.0.1:${host_port}"
  fi
  printf '%-24s %s\n' namespaces "$(ip netns list 2>/dev/null | awk '{print $1}' | grep '^ironlb-' | tr '\n' ' ')"
  (( up )) || return 3
}

# kill WHAT [SIGNAL] / restart WHAT: fault handles for tests and for users exploring.
cmd_fault() {
  local verb=$1 what=$2 signal=${3:-TERM}
  case "${what}" in
    controller | speaker-node[123]) bash "${root}/test/lab/ironlb.sh" "${verb}" "${what}" "${signal}" ;;
    frr-router | frr-node[123]) bash "${root}/test/lab/bgp.sh" "${verb}" "${what}" "${signal}" ;;
    apiserver | etcd)
      if [[ "${verb}" == kill ]]; then
        alive "${what}" || die "${what} is not running"
        kill "-${signal}" "$(pid_of "${what}")" && say "sent SIG${signal} to ${what} (pid $(pid_of "${what}"))"
      else
        stop "${what}"
        restart_saved "${what}" || die "${what} was never started by this lab"
        if [[ "${what}" == etcd ]]; then wait_for etcd etcd 30 etcd_ready; else wait_for kube-apiserver apiserver 120 apiserver_ready; fi
        say "${what} restarted (pid $(pid_of "${what}"))"
        # A real kube-controller-manager elects a leader and exits when it cannot renew through
        # the outage (its kubelet starts it again); the lab's runs without election and would
        # sit in watch backoff, creating no Pods for a minute or more. Restart it as kubelet would.
        wait_for kube-apiserver apiserver 120 apiserver_ready
        stop controller-manager
        restart_saved controller-manager || die "kube-controller-manager was never started by this lab"
        wait_for kube-controller-manager controller-manager 60 kcm_ready
        say "kube-controller-manager restarted after the ${what} restart (pid $(pid_of controller-manager))"
      fi
      ;;
    *) die "WHAT must be controller, speaker-node1..3, frr-router, frr-node1..3, apiserver or etcd (got '${what}')" ;;
  esac
}

case "${1:-}" in
  up) cmd_up ;;
  down) require_tools; cmd_down ;;
  status)
    rc=0
    cmd_status || rc=$?
    if (( rc == 0 )); then
      bash "${root}/test/lab/nodes.sh" status || rc=$?
      bash "${root}/test/lab/bgp.sh" status || rc=$?
      bash "${root}/test/lab/ironlb.sh" status || rc=$?
    fi
    exit "${rc}"
    ;;
  kill | restart) require_tools; cmd_fault "$1" "${2:?WHAT}" "${3:-TERM}" ;;
  *) printf 'usage: %s up|down|status|kill WHAT [SIGNAL]|restart WHAT\n' "$0" >&2; exit 2 ;;
esac
