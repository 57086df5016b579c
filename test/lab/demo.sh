#!/usr/bin/env bash
# `make demo`: the MetalLB tutorial flow on the lab (make lab-up ran first): apply a pool and an
# empty L2Advertisement, a Deployment and a LoadBalancer Service, wait for EXTERNAL-IP, curl it
# from the client namespace, and show what a user would look at.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
kubectl=("${root}/.lab/bin/kubectl" --kubeconfig "${root}/.lab/kubeconfig")

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
die() { printf '[demo] error: %s\n' "$*" >&2; exit 1; }

step "kubectl apply -f examples/pool.yaml   (IPAddressPool + empty L2Advertisement)"
"${kubectl[@]}" apply -f "${root}/examples/pool.yaml"
step "kubectl apply -f examples/web.yaml    (Deployment of 2 + Service type LoadBalancer 8090 -> 80)"
"${kubectl[@]}" apply -f "${root}/examples/web.yaml"

step "waiting for EXTERNAL-IP"
ip=""
for _ in $(seq 60); do
  ip=$("${kubectl[@]}" get service web -o jsonpath='{.status.loadBalancer.ingress[0].ip}')
  [[ -n "${ip}" ]] && break
  sleep 0.5
done
if [[ -z "${ip}" ]]; then
  "${kubectl[@]}" describe service web
  "${kubectl[@]}" get ipaddresspool -n metallb-system \
    -o custom-columns='POOL:.metadata.name,VALID:.status.conditions[?(@.type=="Valid")].message'
  die "no EXTERNAL-IP after 30 s (see the Service events and the pools' Valid conditions above)"
fi
"${kubectl[@]}" get service web
"${kubectl[@]}" rollout status deployment/web --timeout=60s

step "curl http://${ip}:8090 from the client namespace (198.18.0.100), 6 times"
ok=0
for i in $(seq 6); do
  if out=$(ip netns exec ironlb-client curl -sS --max-time 3 "http://${ip}:8090/"); then
    printf '  %d: %s\n' "${i}" "${out}"
    ok=$((ok + 1))
  else
    printf '  %d: failed\n' "${i}"
  fi
done
(( ok > 0 )) || die "no curl succeeded"

step "kubectl get ipaddresspool -n metallb-system"
"${kubectl[@]}" get ipaddresspool -n metallb-system
step "which node announces ${ip} (ServiceL2Status, and the client's neighbour table)"
"${kubectl[@]}" get servicel2statuses -n metallb-system
ip netns exec ironlb-client ip neigh show "${ip}"
for n in 1 2 3; do
  printf '  node%s eth0: %s\n' "${n}" "$(ip netns exec "ironlb-node${n}" cat /sys/class/net/eth0/address)"
done

cat <<MSG

It works: ${ip} answers from one node, kube-proxy forwards to the pods.
Poke around:
  export KUBECONFIG=${root}/.lab/kubeconfig PATH=${root}/.lab/bin:\$PATH
  kubectl describe service web                    # IPAllocated, nodeAssigned events
  ip netns exec ironlb-client curl http://${ip}:8090/
  make lab-kill WHAT=speaker-node1 SIGNAL=KILL    # fail a node's speaker, watch the IP move
  make lab-restart WHAT=speaker-node1
  make lab-status                                 # what is running
  make lab-down                                   # remove everything the lab created
MSG
