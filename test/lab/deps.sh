#!/usr/bin/env bash
# Installs what IronLB's tests and lab need and are missing: Debian packages (apt-get), etcd from
# Debian's etcd-server package unpacked into the cache (not installed as a service), npm packages
# (npm ci). Safe to run again: it only installs what is missing. `--unit`: only what the tiers
# without root need (npm packages, and libpcap-dev to build npm `cap`), so `make test-unit` works
# without root once those are there.
#
#   test/lab/deps.sh [--no-npm | --unit]
set -euo pipefail

cache="${IRONLB_CACHE:-${HOME}/.cache/ironlb}"
say() { printf '[deps] %s\n' "$*" >&2; }
die() { printf '[deps] error: %s\n' "$*" >&2; exit 1; }

debs=(iproute2 iptables nftables socat openssl curl arping iputils-ping ndisc6 tcpdump libpcap-dev conntrack ca-certificates)
[[ "${1:-}" == "--unit" ]] && debs=(libpcap-dev)
missing=()
for p in "${debs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

# FRR for the BGP lab (test/lab/frr.sh starts it inside network namespaces only): installed with
# service start-up denied (policy-rc.d answers 101), so the package never starts FRR on the host.
frr_debs=(frr frr-pythontools)
[[ "${1:-}" == "--unit" ]] && frr_debs=()
frr_missing=()
for p in "${frr_debs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || frr_missing+=("$p")
done

etcd_dir=$(ls -d "${cache}"/etcd-*/ 2>/dev/null | head -n 1 || true)
need_etcd=0
[[ -n "${etcd_dir}" && -x "${etcd_dir}usr/bin/etcd" ]] || need_etcd=1
[[ "${1:-}" == "--unit" ]] && need_etcd=0

if (( ${#missing[@]} > 0 || ${#frr_missing[@]} > 0 || need_etcd )); then
  [[ $(id -u) -eq 0 ]] || die "installing ${missing[*]:-etcd} needs root (run with sudo)"
  command -v apt-get >/dev/null || die "apt-get not found: install ${missing[*]} etcd-server by hand"
  say "apt-get update"
  apt-get update -qq >&2 || die "apt-get update failed"
fi
if (( ${#missing[@]} > 0 )); then
  say "installing Debian packages: ${missing[*]}"
  log=$(mktemp)
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" \
    >"${log}" 2>&1 || { tail -n 20 "${log}" >&2; die "apt-get install ${missing[*]} failed"; }
  rm -f "${log}"
fi
if (( ${#frr_missing[@]} > 0 )); then
  [[ $(id -u) -eq 0 ]] || die "installing ${frr_missing[*]} needs root (run with sudo)"
  say "installing Debian packages: ${frr_missing[*]} (the frr service is not started)"
  # Deny service start-up for this install only; a policy-rc.d the machine already has (container
  # images ship one) is put back exactly as it was afterwards.
  saved=""
  if [[ -e /usr/sbin/policy-rc.d ]]; then
    saved=$(mktemp)
    cp -p /usr/sbin/policy-rc.d "${saved}"
  fi
  printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
  chmod 755 /usr/sbin/policy-rc.d
  log=$(mktemp)
  rc=0
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${frr_missing[@]}" \
    >"${log}" 2>&1 || rc=$?
  if [[ -n "${saved}" ]]; then mv -f "${saved}" /usr/sbin/policy-rc.d; else rm -f /usr/sbin/policy-rc.d; fi
  (( rc == 0 )) || { tail -n 20 "${log}" >&2; rm -f "${log}"; die "apt-get install ${frr_missing[*]} failed"; }
  rm -f "${log}"
fi
if (( need_etcd )); then
  tmp=$(mktemp -d)
  chmod 755 "${tmp}" # apt's download user must be able to write there
  trap 'rm -rf "${tmp}"' EXIT
  say "downloading Debian etcd-server (unpacked into ${cache}, not installed as a service)"
  (cd "${tmp}" && apt-get download -qq etcd-server >&2) || die "apt-get download etcd-server failed"
  deb=$(ls "${tmp}"/etcd-server_*.deb)
  ver=$(dpkg-deb -f "${deb}" Version)
  ver=${ver%%-*}
  mkdir -p "${cache}/etcd-${ver}"
  dpkg-deb -x "${deb}" "${cache}/etcd-${ver}"
  [[ -x "${cache}/etcd-${ver}/usr/bin/etcd" ]] || die "etcd-server package has no usr/bin/etcd"
  say "etcd ${ver} ready in ${cache}/etcd-${ver}"
fi

if [[ "${1:-}" != "--no-npm" ]]; then
  root=$(cd "$(dirname "$0")/../.." && pwd)
  if [[ ! -d "${root}/node_modules" || "${root}/package-lock.json" -nt "${root}/node_modules/.package-lock.json" ]]; then
    say "npm ci"
    # NDEBUG: npm `cap` asserts (aborting the process) when libuv reports a poll error, which
    # happens when an interface loses carrier; without the assert the socket just stops and
    # the speaker reopens it (speaker/adapters/link-sockets.ts).
    (cd "${root}" && CXXFLAGS="-DNDEBUG ${CXXFLAGS:-}" npm ci --no-fund --no-audit >&2) || die "npm ci failed"
  fi
fi
