#!/usr/bin/env bash
# `make demo-bgp`: BGP mode on the lab (make lab-up ran first). The lab's router peers with every
# node (BGPPeer from test/lab/bgp-peers.yaml); the user applies a pool and a BGPAdvertisement,
# three pods and a LoadBalancer Service; the router learns one path per node, and the client
# behind the router (ironlb-ext) is answered through all three nodes.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
kubectl=("${root}/.lab/bin/kubectl" --kubeconfig "${root}/.lab/kubeconfig")
router_vtysh=(vtysh --vty_socket "${root}/.lab/frr/router/run")

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
die() { printf '[demo-bgp] error: %s\n' "$*" >&2; exit 1; }

[[ -S "${root}/.lab/frr/router/run/bgpd.vty" ]] || die "the lab's router is not running: make lab-up"

step "kubectl get bgppeers,bfdprofiles -n metallb-system   (the router: lab infrastructure, applied by make lab-up)"
"${kubectl[@]}" get bgppeers,bfdprofiles -n metallb-system
step "kubectl apply -f examples/bgp/pool.yaml   (IPAddressPool bgp-pool + BGPAdvertisement)"
"${kubectl[@]}" apply -f "${root}/examples/bgp/pool.yaml"
step "kubectl apply -f examples/bgp/web.yaml    (Deployment of 3 + Service type LoadBalancer 8090 -> 80)"
"${kubectl[@]}" apply -f "${root}/examples/bgp/web.yaml"

step "waiting for EXTERNAL-IP"
ip=""
for _ in $(seq 60); do
  ip=$("${kubectl[@]}" get service web-bgp -o jsonpath='{.status.loadBalancer.ingress[0].ip}')
  [[ -n "${ip}" ]] && break
  sleep 0.5
done
[[ -n "${ip}" ]] || { "${kubectl[@]}" describe service web-bgp; die "no EXTERNAL-IP after 30 s"; }
"${kubectl[@]}" get service web-bgp
"${kubectl[@]}" rollout status deployment/web-bgp --timeout=60s

step "the router learns ${ip} from every node (waiting for 3 next hops)"
hops=0
for _ in $(seq 120); do
  hops=$(ip -n ironlb-router route show "${ip}/32" | grep -c 'via 198\.18\.0\.1[1-3]' || true)
  ((hops == 3)) && break
  sleep 0.25
done
"${router_vtysh[@]}" -c 'show bgp ipv4 unicast summary'
"${router_vtysh[@]}" -c "show bgp ipv4 unicast ${ip}/32"
printf '\n$ ip netns exec ironlb-router ip route show %s\n' "${ip}"
ip -n ironlb-router route show "${ip}/32"
((hops == 3)) || die "the router has ${hops} next hops for ${ip}, not 3 (see .lab/logs/speaker-node*.log, .lab/logs/frr-*/)"

step "curl http://${ip}:8090 from ironlb-ext (198.18.200.100, behind the router), 12 new connections"
declare -A via=()
for i in $(seq 12); do
  if out=$(ip netns exec ironlb-ext curl -sS --max-time 3 "http://${ip}:8090/"); then
    # ExternalTrafficPolicy Cluster: the pod sees the forwarding node's address (198.18.0.1N, or
    # 198.19.N.1 when the pod runs on that node).
    src=$(sed -n 's/.*client=\([0-9.]*\):.*/\1/p' <<<"${out}")
    node=$(sed -n 's/^198\.18\.0\.1\([1-9]\)$/node\1/p; s/^198\.19\.\([1-9]\)\.1$/node\1/p' <<<"${src}")
    via[${node:-?}]=1
    printf '  %2d: %s   <- via %s\n' "${i}" "${out}" "${node:-?}"
  else
    printf '  %2d: failed\n' "${i}"
  fi
done
((${#via[@]} > 0)) || die "no curl succeeded"
printf '\nforwarded by: %s\n' "$(printf '%s\n' "${!via[@]}" | sort | tr '\n' ' ')"
[[ -n "${via[node1]:-}" && -n "${via[node2]:-}" && -n "${via[node3]:-}" ]] ||
  die "12 connections did not reach all three nodes"

cat <<MSG

It works: every node announces ${ip}, the router spreads connections over them (ECMP, L4 hash).
Poke around:
  export KUBECONFIG=${root}/.lab/kubeconfig PATH=${root}/.lab/bin:\$PATH
  vtysh --vty_socket .lab/frr/router/run -c 'show bgp summary'   # the router's sessions
  vtysh --vty_socket .lab/frr/node1/run -c 'show running-config' # what speaker-node1 configured
  ip netns exec ironlb-ext curl http://${ip}:8090/
  ip -n ironlb-cp link set v-node1 down                          # pull node1's cable: BFD withdraws it
  ip -n ironlb-cp link set v-node1 up
  make lab-down
MSG
