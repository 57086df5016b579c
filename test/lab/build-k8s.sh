#!/usr/bin/env bash
# Builds kube-apiserver, kube-controller-manager, kube-proxy and kubectl from the Go module proxy
# into a cache directory outside the repo, keyed by version. Reuses the binaries when present.
#
#   test/lab/build-k8s.sh            # prints the directory holding the binaries
#
# Env: IRONLB_K8S_VERSION (default below), IRONLB_CACHE (default ~/.cache/ironlb).
set -euo pipefail

version="${IRONLB_K8S_VERSION:-v1.33.13}"
cache="${IRONLB_CACHE:-${HOME}/.cache/ironlb}"
out="${cache}/k8s-${version}"
bins=(kube-apiserver kube-controller-manager kube-proxy kubectl)

say() { printf '[build-k8s] %s\n' "$*" >&2; }
die() { printf '[build-k8s] error: %s\n' "$*" >&2; exit 1; }

have_all() {
  local b
  for b in "${bins[@]}"; do [[ -x "${out}/bin/${b}" ]] || return 1; done
}

if have_all; then
  printf '%s\n' "${out}/bin"
  exit 0
fi

command -v go >/dev/null || die "go is not installed; install Go 1.22+ (https://go.dev/dl) and retry"

minor="${version#v1.}"; minor="${minor%%.*}"
patch="${version##*.}"
staging_version="v0.${minor}.${patch}"
work="${out}/wrapper"
mkdir -p "${work}" "${out}/bin"
cd "${work}"

say "resolving k8s.io/kubernetes@${version} through the Go module proxy"
gomod_json=$(go mod download -json "k8s.io/kubernetes@${version}") \
  || die "go mod download k8s.io/kubernetes@${version} failed (is the Go module proxy reachable?)"
upstream_gomod=$(printf '%s' "${gomod_json}" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')
[[ -f "${upstream_gomod}" ]] || die "no go.mod found for k8s.io/kubernetes@${version}"

# Every staging module k8s.io/kubernetes replaces with ./staging/src/... gets a replace to the
# published v0.Y.Z of the same name, generated from upstream's own go.mod.
staging=$(sed -n 's#^[[:space:]]*\(k8s.io/[a-z0-9-]*\) => ./staging/src/.*#\1#p' "${upstream_gomod}" | sort -u)
[[ -n "${staging}" ]] || die "found no staging modules in ${upstream_gomod}"
say "$(printf '%s\n' "${staging}" | wc -l) staging modules pinned to ${staging_version}"

{
  printf 'module ironlb.dev/lab-k8s\n\ngo 1.24.0\n\nrequire k8s.io/kubernetes %s\n\n' "${version}"
  printf '%s\n' "${staging}" | while read -r m; do
    printf 'replace %s => %s %s\n' "${m}" "${m}" "${staging_version}"
  done
} > go.mod

cat > tools.go <<GO
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-proxy"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
GO

say "go mod tidy (downloads a few hundred modules on a cold cache)"
go mod tidy >&2 || die "go mod tidy failed in ${work}"

ldflags="-s -w"
for v in gitVersion=${version} gitMajor=1 gitMinor=${minor} gitTreeState=clean; do
  ldflags+=" -X k8s.io/component-base/version.${v} -X k8s.io/client-go/pkg/version.${v}"
done

i=0
for b in "${bins[@]}"; do
  i=$((i + 1))
  if [[ -x "${out}/bin/${b}" ]]; then say "[${i}/${#bins[@]}] ${b}: cached"; continue; fi
  say "[${i}/${#bins[@]}] go build ${b} (several minutes each on 2 cores)"
  start=$(date +%s)
  CGO_ENABLED=0 go build -trimpath -ldflags "${ldflags}" -o "${out}/bin/${b}.tmp" \
    "k8s.io/kubernetes/cmd/${b}" >&2 || die "go build ${b} failed"
  mv "${out}/bin/${b}.tmp" "${out}/bin/${b}"
  say "[${i}/${#bins[@]}] ${b} built in $(( $(date +%s) - start ))s"
done
printf '%s\n' "${out}/bin"
