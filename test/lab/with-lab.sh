#!/usr/bin/env bash
# Runs a command against the lab control plane: reuses a running lab, or starts one and takes it
# down again afterwards (also when the command fails). Without root the lab cannot run: the
# command is skipped with the reason printed.
#
#   test/lab/with-lab.sh COMMAND...
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)

if [[ $(id -u) -ne 0 ]]; then
  printf '[with-lab] SKIPPED: %s needs root (network namespaces); run as root to include this tier\n' "$*" >&2
  exit 0
fi

started=0
[[ -f "${root}/.lab/kubeconfig" ]] || started=1
bash "${root}/test/lab/lab.sh" up || exit 1
cleanup() { (( started )) && bash "${root}/test/lab/lab.sh" down; }
trap cleanup EXIT
"$@"
