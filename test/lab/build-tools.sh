#!/usr/bin/env bash
# Builds the chart and alert tools, helm and promtool, from the Go module proxy into a cache
# directory outside the repo, keyed by version. Reuses the binaries when present.
#
#   test/lab/build-tools.sh              # builds both, prints the helm and promtool paths
#   test/lab/build-tools.sh helm         # only helm
#   test/lab/build-tools.sh promtool     # only promtool
#
# Env: IRONLB_HELM_VERSION, IRONLB_PROMETHEUS_VERSION (defaults below),
#      IRONLB_CACHE (default ~/.cache/ironlb).
set -euo pipefail

helm_version="${IRONLB_HELM_VERSION:-v3.22.0}"
# Prometheus 3.x publishes its Go module as v0.3XX.Y (v0.316.0 is Prometheus 3.16.0)
prom_version="${IRONLB_PROMETHEUS_VERSION:-v0.316.0}"
cache="${IRONLB_CACHE:-${HOME}/.cache/ironlb}"

say() { printf '[build-tools] %s\n' "$*" >&2; }
die() { printf '[build-tools] error: %s\n' "$*" >&2; exit 1; }

# build NAME PACKAGE VERSION [LDFLAGS]: go install PACKAGE@VERSION into ${cache}/NAME-VERSION/bin
build() {
  local name=$1 pkg=$2 version=$3 ldflags="-s -w ${4:-}"
  local out="${cache}/${name}-${version}/bin"
  if [[ -x "${out}/${name}" ]]; then
    printf '%s\n' "${out}/${name}"
    return 0
  fi
  command -v go >/dev/null || die "go is not installed; install Go 1.24+ (https://go.dev/dl) and retry"
  mkdir -p "${out}"
  say "go install ${pkg}@${version} (downloads its modules on a cold cache, then compiles; minutes on 2 cores)"
  local start tmp
  start=$(date +%s)
  tmp=$(mktemp -d "${out}/.gobin.XXXXXX")
  # -x would be too loud; print a dot every 15 s so a long compile shows it is alive
  ( while sleep 15; do printf '.' >&2; done ) &
  local ticker=$!
  if ! CGO_ENABLED=0 GOBIN="${tmp}" GOFLAGS="${GOFLAGS:-} -mod=mod" \
    go install -trimpath -ldflags "${ldflags}" "${pkg}@${version}" >&2; then
    kill "${ticker}" 2>/dev/null || true
    rm -rf "${tmp}"
    die "go install ${pkg}@${version} failed (is the Go module proxy reachable?)"
  fi
  kill "${ticker}" 2>/dev/null || true
  printf '\n' >&2
  mv "${tmp}/${name}" "${out}/${name}"
  rm -rf "${tmp}"
  say "${name} ${version} built in $(( $(date +%s) - start ))s: ${out}/${name}"
  printf '%s\n' "${out}/${name}"
}

# What helm's own Makefile sets at link time: its version, and the Kubernetes version it assumes
# without a cluster (`helm template`, `helm lint`), 1.<minor of its k8s.io/client-go>; without
# it helm assumes v1.20.0 and refuses the chart's kubeVersion.
helm_ldflags() {
  local gomod client_go minor
  gomod=$(go mod download -json "helm.sh/helm/v3@${helm_version}" |
    sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')
  [[ -f "${gomod}" ]] || die "go mod download helm.sh/helm/v3@${helm_version} failed (is the Go module proxy reachable?)"
  client_go=$(sed -n 's#^[[:space:]]*k8s.io/client-go \(v[0-9.]*\).*#\1#p' "${gomod}")
  minor=$(cut -d. -f2 <<<"${client_go}")
  [[ -n "${minor}" ]] || die "no k8s.io/client-go version in ${gomod}"
  local x
  for x in pkg/lint/rules pkg/chartutil; do
    printf -- '-X helm.sh/helm/v3/%s.k8sVersionMajor=1 -X helm.sh/helm/v3/%s.k8sVersionMinor=%s ' "${x}" "${x}" "${minor}"
  done
  printf -- '-X helm.sh/helm/v3/internal/version.version=%s' "${helm_version}"
}

build_helm() {
  local out="${cache}/helm-${helm_version}/bin/helm"
  if [[ -x "${out}" ]]; then printf '%s\n' "${out}"; return 0; fi
  command -v go >/dev/null || die "go is not installed; install Go 1.24+ (https://go.dev/dl) and retry"
  build helm helm.sh/helm/v3/cmd/helm "${helm_version}" "$(helm_ldflags)"
}

what="${1:-all}"
case "${what}" in
  helm) build_helm ;;
  promtool) build promtool github.com/prometheus/prometheus/cmd/promtool "${prom_version}" ;;
  all)
    build_helm
    build promtool github.com/prometheus/prometheus/cmd/promtool "${prom_version}"
    ;;
  *) die "unknown tool '${what}' (expected helm, promtool or nothing for both)" ;;
esac
