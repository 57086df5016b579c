#!/usr/bin/env bash
# `make demo`: the lab is up (make lab-up ran first); show what a user can do with it.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
kubectl=("${root}/.lab/bin/kubectl" --kubeconfig "${root}/.lab/kubeconfig")

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

step "kubectl get --raw /readyz"
"${kubectl[@]}" get --raw /readyz; echo
step "kubectl version"
"${kubectl[@]}" version
step "kubectl get namespaces"
"${kubectl[@]}" get namespaces
step "a LoadBalancer Service on the lab apiserver (no IronLB controller yet: EXTERNAL-IP stays <pending>)"
"${kubectl[@]}" create namespace demo --dry-run=client -o yaml | "${kubectl[@]}" apply -f - >/dev/null
"${kubectl[@]}" -n demo create service loadbalancer web --tcp=8090:80 --dry-run=client -o yaml \
  | "${kubectl[@]}" apply -f - >/dev/null
"${kubectl[@]}" -n demo get service web
cat <<MSG

The lab control plane is running. Try:
  export KUBECONFIG=${root}/.lab/kubeconfig PATH=${root}/.lab/bin:\$PATH
  kubectl get --raw /readyz
  make lab-status        # what is running
  make lab-down          # remove everything the lab created
MSG
