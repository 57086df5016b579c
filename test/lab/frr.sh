#!/usr/bin/env bash
# One FRR instance (zebra, bgpd, bfdd, staticd) inside a network namespace, with all of its state
# in one directory, so several instances run on one machine and none touches /etc/frr or
# /var/run/frr. It never starts anything in the machine's own namespace.
#
#   test/lab/frr.sh start NETNS DIR [INITIAL-CONFIG]   start (or reuse); prints the vty socket dir
#   test/lab/frr.sh stop DIR                           stop every daemon by its PID file
#   test/lab/frr.sh status DIR                         exit 0 when all four run, 3 when not
#
# DIR layout: frr.conf (integrated config, what `vtysh write` and frr-reload.py update),
# vtysh.conf, run/ (vty sockets DAEMON.vty, zserv.api, bfdd.sock, DAEMON.pid), logs/DAEMON.log,
# netns (the namespace it runs in). Talk to it with
#   vtysh --vty_socket DIR/run --config_dir DIR -c 'show bgp summary'
#   /usr/lib/frr/frr-reload.py --reload --stdout --vty_socket DIR/run --confdir DIR \
#     --rundir DIR/run NEW.conf
# (without --stdout frr-reload.py logs to /var/log/frr/frr-reload.log, without --rundir it writes
# its temp file into /var/run/frr: both outside DIR). The vty sockets are mode 0770 frr:frrvty:
# a client needs root with CAP_DAC_OVERRIDE or group frrvty (which may also write in run/).
set -euo pipefail

frr_bin="${IRONLB_FRR_BIN:-/usr/lib/frr}"
daemons=(zebra bgpd bfdd staticd)

say() { printf '[frr] %s\n' "$*" >&2; }
die() { printf '[frr] error: %s\n' "$*" >&2; exit 1; }

# running PID: exists and is not a zombie.
running() { local st; st=$(ps -o stat= -p "$1" 2>/dev/null) && [[ -n "${st}" && "${st}" != Z* ]]; }

# daemon_pid DIR DAEMON: the PID in its pid file when that process is this instance's daemon
# (its command line names DIR: a recycled PID is never taken for ours).
daemon_pid() {
  local dir=$1 d=$2 pid
  [[ -f "${dir}/run/${d}.pid" ]] || return 1
  pid=$(<"${dir}/run/${d}.pid")
  [[ "${pid}" =~ ^[0-9]+$ ]] && running "${pid}" || return 1
  tr '\0' ' ' <"/proc/${pid}/cmdline" 2>/dev/null | grep -qF -- "${dir}/run/${d}.pid" || return 1
  printf '%s\n' "${pid}"
}

vtysh_in() { local dir=$1; shift; vtysh --vty_socket "${dir}/run" --config_dir "${dir}" "$@"; }

daemon_ready() { [[ -S "$1/run/$2.vty" ]] && daemon_pid "$1" "$2" >/dev/null; }

close_inherited_fds() {
  local fd
  for fd in /proc/self/fd/*; do
    fd=${fd##*/}
    if ((fd > 2)); then eval "exec ${fd}>&-" 2>/dev/null || true; fi
  done
}

# start_daemon NETNS DIR DAEMON: daemonised (-d) inside NETNS, no TCP vty (-P 0), as FRR's own
# user (it refuses root: root is not in group frrvty), paths all under DIR.
start_daemon() {
  local ns=$1 dir=$2 d=$3 run="$2/run"
  local -a args=(-d -P 0 -f "${run}/empty.conf" -i "${run}/${d}.pid"
    --vty_socket "${run}" --log "file:${dir}/logs/${d}.log" --log-level informational)
  [[ "${d}" == zebra ]] && args+=(-z "${run}/zserv.api")
  [[ "${d}" == bgpd || "${d}" == staticd ]] && args+=(-z "${run}/zserv.api")
  [[ "${d}" == bfdd ]] && args+=(-z "${run}/zserv.api" --bfdctl "${run}/bfdd.sock")
  # The daemon keeps the PID it had before forking in the name of its crash-log dir
  # /var/tmp/frr/DAEMON.PID (hard-coded in FRR): remembered so that stop removes it.
  local pre
  (close_inherited_fds; exec ip netns exec "${ns}" "${frr_bin}/${d}" "${args[@]}") \
    >>"${dir}/logs/${d}.out" 2>&1 </dev/null &
  pre=$!
  printf '/var/tmp/frr/%s.%s\n' "${d}" "${pre}" >>"${dir}/run/tmpdirs"
  wait "${pre}" || die "${d} did not start in ${ns}; see ${dir}/logs/${d}.out"
}

wait_ready() {
  local dir=$1 d=$2 i
  for ((i = 0; i < 100; i++)); do
    daemon_ready "${dir}" "${d}" && return 0
    sleep 0.1
  done
  die "${d} not ready after 10 s; last lines of ${dir}/logs/${d}.log:
$(tail -n 10 "${dir}/logs/${d}.log" "${dir}/logs/${d}.out" 2>/dev/null)"
}

cmd_start() {
  local ns=$1 dir=$2 conf=${3:-}
  [[ $(id -u) -eq 0 ]] || die "needs root (network namespaces)"
  [[ -n "${ns}" && -e "/run/netns/${ns}" ]] || die "network namespace '${ns}' does not exist (ip netns add ${ns})"
  [[ -x "${frr_bin}/zebra" ]] || die "FRR not found in ${frr_bin}: apt-get install frr frr-pythontools"
  command -v vtysh >/dev/null || die "vtysh not found: apt-get install frr"
  [[ -z "${conf}" || -f "${conf}" ]] || die "initial config '${conf}' not found"
  mkdir -p "${dir}"
  dir=$(cd "${dir}" && pwd)
  if [[ -f "${dir}/netns" && "$(<"${dir}/netns")" != "${ns}" ]] && cmd_status "${dir}" >/dev/null 2>&1; then
    die "${dir} already runs FRR in namespace $(<"${dir}/netns"), not ${ns}"
  fi
  mkdir -p "${dir}/run" "${dir}/logs"
  # The daemons write there as user frr; run/ is also group frrvty's (setgid), so a client in that
  # group without CAP_DAC_OVERRIDE (the lab's speakers) can use the sockets and frr-reload.py its
  # temp files there.
  chown frr:frr "${dir}/logs"
  chown frr:frrvty "${dir}/run"
  chmod 2775 "${dir}/run"
  setpriv --reuid frr --regid frr --clear-groups test -w "${dir}/run" -a -w "${dir}/logs" ||
    die "FRR's user frr cannot write ${dir}/run or ${dir}/logs: a parent directory is closed to it (mode 0700?)"
  : >"${dir}/run/empty.conf"
  printf 'service integrated-vtysh-config\n' >"${dir}/vtysh.conf"
  printf '%s\n' "${ns}" >"${dir}/netns"
  local d fresh=0
  if ! daemon_ready "${dir}" zebra; then
    rm -f "${dir}/run/zserv.api" "${dir}/run/zebra.vty"
    start_daemon "${ns}" "${dir}" zebra
    wait_ready "${dir}" zebra
    fresh=1
  fi
  for d in bgpd bfdd staticd; do # after zebra (their zserv client), at once in parallel
    daemon_ready "${dir}" "${d}" && continue
    rm -f "${dir}/run/${d}.vty"
    start_daemon "${ns}" "${dir}" "${d}"
    fresh=1
  done
  for d in bgpd bfdd staticd; do wait_ready "${dir}" "${d}"; done
  if [[ -n "${conf}" ]]; then
    [[ "${conf}" -ef "${dir}/frr.conf" ]] || cp "${conf}" "${dir}/frr.conf"
    local out
    if ((fresh)); then
      out=$(vtysh_in "${dir}" -b 2>&1) || die "applying ${conf} failed: ${out}"
    else
      out=$("${frr_bin}/frr-reload.py" --reload --stdout --vty_socket "${dir}/run" --confdir "${dir}" \
        --rundir "${dir}/run" "${dir}/frr.conf" 2>&1) || die "reloading ${conf} failed: ${out}"
    fi
  elif [[ ! -f "${dir}/frr.conf" ]]; then
    : >"${dir}/frr.conf"
  fi
  printf '%s\n' "${dir}/run"
}

# stop_pid PID: TERM, KILL after 5 s.
stop_pid() {
  local pid=$1 i
  kill -TERM "${pid}" 2>/dev/null || true
  for ((i = 0; i < 100; i++)); do running "${pid}" || break; sleep 0.05; done
  if running "${pid}"; then kill -KILL "${pid}" 2>/dev/null || true; fi
}

cmd_stop() {
  local dir=$1 d pid
  [[ -d "${dir}" ]] || return 0
  dir=$(cd "${dir}" && pwd)
  for d in "${daemons[@]}"; do
    if pid=$(daemon_pid "${dir}" "${d}"); then stop_pid "${pid}" & fi
  done
  wait
  local t
  if [[ -f "${dir}/run/tmpdirs" ]]; then
    while read -r t; do [[ "${t}" == /var/tmp/frr/* ]] && rm -rf "${t}"; done <"${dir}/run/tmpdirs"
  fi
  rm -f "${dir}"/run/*.pid "${dir}"/run/*.vty "${dir}/run/zserv.api" "${dir}/run/bfdd.sock" "${dir}/run/tmpdirs"
  rmdir /var/tmp/frr 2>/dev/null || true
}

cmd_status() {
  local dir=$1 d pid rc=0
  [[ -d "${dir}" ]] || { printf 'no FRR state dir %s\n' "${dir}"; return 3; }
  dir=$(cd "${dir}" && pwd)
  for d in "${daemons[@]}"; do
    if pid=$(daemon_pid "${dir}" "${d}"); then
      printf '%-8s running (pid %s) in %s\n' "${d}" "${pid}" "$(cat "${dir}/netns" 2>/dev/null)"
    else
      printf '%-8s stopped\n' "${d}"
      rc=3
    fi
  done
  return "${rc}"
}

case "${1:-}" in
  start) cmd_start "${2:?NETNS}" "${3:?DIR}" "${4:-}" ;;
  stop) cmd_stop "${2:?DIR}" ;;
  status) cmd_status "${2:?DIR}" ;;
  *) printf 'usage: %s start NETNS DIR [INITIAL-CONFIG] | stop DIR | status DIR\n' "$0" >&2; exit 2 ;;
esac
