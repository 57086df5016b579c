#!/usr/bin/env bash
# Runs a command against the lab control plane: reuses a running lab, or starts one and takes it
# down again afterwards (also when the command fails). Without root the lab cannot run, and a
# tier that did not run must not look green: the script fails with the reason, naming
# `make test-unit` as the path that needs no root. `--check` does only that root check.
#
#   test/lab/with-lab.sh COMMAND...
#   test/lab/with-lab.sh --check
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)

if [[ $(id -u) -ne 0 ]]; then
  printf '[with-lab] error: the lab tiers (integration, e2e, chaos) need root (network namespaces, bridges); this is uid %s.\n' \
    "$(id -u)" >&2
  [[ "${1:-}" == "--check" ]] || printf '[with-lab] not run: %s\n' "$*" >&2
  printf '[with-lab] Run as root (sudo make test), or `make test-unit` for the unit tiers only (no root).\n' >&2
  exit 1
fi
[[ "${1:-}" == "--check" ]] && exit 0

started=0
[[ -f "${root}/.lab/kubeconfig" ]] || started=1
bash "${root}/test/lab/lab.sh" up || exit 1
cleanup() { (( started )) && bash "${root}/test/lab/lab.sh" down; }
trap cleanup EXIT
"$@"
rc=$?
if (( rc != 0 )) && [[ -d "${root}/.lab/logs" ]]; then
  # The lab's logs go with the checkout (CI clones afresh): keep the last 5 failed runs' logs.
  keep="${IRONLB_FAILED_LOGS:-/var/tmp/ironlb-failed-labs}"
  dest="${keep}/$(date -u +%Y%m%dT%H%M%SZ)"
  mkdir -p "${dest}" && cp -a "${root}/.lab/logs/." "${dest}/" &&
    printf '[with-lab] failed (exit %s): lab logs kept in %s\n' "${rc}" "${dest}" >&2
  ls -1d "${keep}"/*/ 2>/dev/null | head -n -5 | xargs -r rm -rf
fi
exit "${rc}"
