# Shared by the lab scripts (sourced): the lab's address plan, process bookkeeping by PID file
# (never by name), readiness polling and kubeconfig files.
# Expects ${lab} (the repo's .lab directory) to be set by the caller.

# The control plane's namespace and addresses (docs/lab.md).
ns_cp="ironlb-cp"
cp_ip="198.18.0.1"
cp_ip6="2001:db8:18::1"
service_cidr4="198.18.128.0/20"
service_cidr6="2001:db8:128::/112"

pid_of() { [[ -f "${lab}/pids/$1.pid" ]] && cat "${lab}/pids/$1.pid"; }
# running PID: exists and is not a zombie (this machine's init reaps orphans only every ~2 s,
# and `kill -0` succeeds on zombies).
running() { local st; st=$(ps -o stat= -p "$1" 2>/dev/null) && [[ -n "${st}" && "${st}" != Z* ]]; }
alive() { local pid; pid=$(pid_of "$1") && [[ -n "${pid}" ]] && running "${pid}"; }

# close_inherited_fds: closes this shell's descriptors above 2. A daemon must not keep what its
# starter held open: a `flock /tmp/ironlb-lab.lock make lab-up` lock would stay held by the whole
# lab (everyone else's flock then waits forever), a test runner's pipe would never see EOF.
close_inherited_fds() {
  local fd
  for fd in /proc/self/fd/*; do
    fd=${fd##*/}
    if (( fd > 2 )); then eval "exec ${fd}>&-" 2>/dev/null || true; fi
  done
}

# start NAME NETNS|- COMMAND...: runs COMMAND in its own session (so it outlives the script),
# appends to .lab/logs/NAME.log, records its PID in .lab/pids/NAME.pid and the command in
# .lab/cmds/NAME so `restart` can run it again. NETNS "-" means the host namespace.
start() {
  local name=$1 ns=$2
  shift 2
  local -a cmd=("$@")
  [[ "${ns}" == "-" ]] || cmd=(ip netns exec "${ns}" "${cmd[@]}")
  mkdir -p "${lab}/logs" "${lab}/pids" "${lab}/cmds"
  printf '%q ' "${cmd[@]}" >"${lab}/cmds/${name}"
  (close_inherited_fds; exec setsid "${cmd[@]}") >>"${lab}/logs/${name}.log" 2>&1 </dev/null &
  echo $! >"${lab}/pids/${name}.pid"
}

# restart_saved NAME: runs the command `start` recorded for NAME again.
restart_saved() {
  local name=$1
  [[ -f "${lab}/cmds/${name}" ]] || return 1
  (close_inherited_fds; exec setsid bash -c "exec $(cat "${lab}/cmds/${name}")") \
    >>"${lab}/logs/${name}.log" 2>&1 </dev/null &
  echo $! >"${lab}/pids/${name}.pid"
}

# stop NAME [SIGNAL]: SIGNAL (default TERM) by recorded PID, SIGKILL after 10 s.
stop() {
  local name=$1 signal=${2:-TERM} pid i
  pid=$(pid_of "${name}") || return 0
  if [[ -n "${pid}" ]] && running "${pid}"; then
    kill "-${signal}" "${pid}" 2>/dev/null || true
    for ((i = 0; i < 200; i++)); do running "${pid}" || break; sleep 0.05; done
    if running "${pid}"; then kill -KILL "${pid}" 2>/dev/null || true; fi
  fi
  rm -f "${lab}/pids/${name}.pid"
}

# wait_for WHAT PROCESS TIMEOUT_S CHECK ARGS...: polls CHECK every 0.25 s until it succeeds; fails
# (with the last log lines) when PROCESS dies, or after TIMEOUT_S. Callers define say and die.
wait_for() {
  local what=$1 name=$2 timeout=$3 i
  shift 3
  for ((i = 0; i < timeout * 4; i++)); do
    "$@" && return 0
    alive "${name}" || die "${what} exited during start-up; last lines of .lab/logs/${name}.log:
$(tail -n 15 "${lab}/logs/${name}.log" 2>/dev/null)"
    (( i % 40 == 39 )) && say "  waiting for ${what} ($(( (i + 1) / 4 ))s)"
    sleep 0.25
  done
  die "${what} not ready after ${timeout}s; see .lab/logs/${name}.log"
}

# write_kubeconfig FILE SERVER USER AUTH [NAMESPACE]: a kubeconfig for the lab CA; AUTH holds the
# user's credential lines (see cert_auth, or "    token: ...").
write_kubeconfig() {
  local file=$1 server=$2 user=$3 auth=$4 namespace=${5:-}
  cat >"${file}" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: ironlb-lab
  cluster:
    server: ${server}
    certificate-authority-data: $(base64 -w0 <"${lab}/pki/ca.crt")
users:
- name: ${user}
  user:
${auth}
contexts:
- name: ironlb-lab
  context: {cluster: ironlb-lab, user: ${user}${namespace:+, namespace: ${namespace}}}
current-context: ironlb-lab
EOF
  chmod 600 "${file}"
}

# cert_auth NAME: credential lines for the client certificate .lab/pki/NAME.{crt,key}.
cert_auth() {
  printf '    client-certificate-data: %s\n    client-key-data: %s' \
    "$(base64 -w0 <"${lab}/pki/$1.crt")" "$(base64 -w0 <"${lab}/pki/$1.key")"
}
