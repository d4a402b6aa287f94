# bench/lib.sh: what bench/run.sh and bench/run_chat.sh share. Sourced, never run on its own.
# The caller sets PYTHON, then calls bench_init once, from its main shell (the traps are global).
# shellcheck shell=bash
# SERVER_PIN, LOAD_PIN, server_status and work are set here for the caller to use; build_bench
# wants root and BUILD_DIR.
# shellcheck disable=SC2034

# Checks the tools, resolves PYTHON to the interpreter itself, chooses the pinning, makes the work
# directory and installs the traps that end every server we started, whatever happens.
bench_init() {
  local tool
  for tool in cmake ninja taskset setsid timeout "$PYTHON"; do
    command -v "$tool" >/dev/null || { echo "${0##*/}: $tool not found" >&2; exit 1; }
  done
  # The interpreter itself, not a launcher such as a pyenv shim (which costs ~0.5 s per start).
  PYTHON=$("$PYTHON" -c 'import sys; print(sys.executable)')
  # One core each: the server on CPU 0, the load generator on CPU 1, so neither can starve the
  # other and every server gets the same single core.
  if [ "$(nproc)" -ge 2 ]; then SERVER_PIN="taskset -c 0"; LOAD_PIN="taskset -c 1"
  else SERVER_PIN=""; LOAD_PIN=""; fi
  work=$(mktemp -d)
  : >"$work/pids"
  server_pid=""
  trap cleanup EXIT
  trap 'exit 130' INT TERM
}

# Runs happen in $(...) subshells; if the script is interrupted there, this still ends the
# servers it started (and only those: each group id is removed from the list once stopped).
cleanup() {
  local pid
  for pid in $(cat "$work/pids" 2>/dev/null); do kill -KILL -- "-$pid" 2>/dev/null || true; done
  rm -rf "$work"
}

# build_bench TARGET...: the targets in Release, in $BUILD_DIR (speed is never measured in a debug
# or sanitizer build).
# shellcheck disable=SC2154  # root and BUILD_DIR: the caller's
build_bench() {
  cmake -S "$root" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSOCKCHAT_TESTS=OFF >/dev/null
  cmake --build "$BUILD_DIR" --target "$@" >/dev/null
}

# What else was running, in one phrase: processes matching `pgrep -f $WATCH`, if WATCH is set.
watch_note() {
  [ -n "${WATCH:-}" ] || { echo "not checked"; return; }
  local n; n=$(pgrep -f -- "$WATCH" | grep -vc "^$$\$" || true)
  [ "$n" = 0 ] && echo "no process matching \`$WATCH\`" || echo "**$n processes matching \`$WATCH\`**"
}

free_port() {
  "$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# launch NAME COMMAND...: the server in the background, pinned, in its own session (so its group
# id is its pid and the group holds exactly what we started), stderr to $work/NAME.log.
launch() {
  local name=$1; shift
  $SERVER_PIN setsid "$@" 2>>"$work/$name.log" &
  server_pid=$!
  echo "$server_pid" >>"$work/pids"
}

# Sets server_status to the server's exit status (143 = ended by our SIGTERM).
stop_server() {
  [ -n "$server_pid" ] || return 0
  kill -TERM -- "-$server_pid" 2>/dev/null || true
  server_status=0
  wait "$server_pid" 2>/dev/null || server_status=$?
  kill -KILL -- "-$server_pid" 2>/dev/null || true
  sed -i "/^$server_pid\$/d" "$work/pids"
  server_pid=""
}

field() { tr ' ' '\n' <<<"$1" | sed -n "s/^$2=//p"; }

ratio() {  # ratio A B, 2 decimals, "n/a" unless both are numbers
  awk -v a="$1" -v b="$2" 'BEGIN { if (a+0 > 0 && b+0 > 0) printf "%.2f", a/b; else print "n/a" }'
}
num() { [ -n "$1" ] && echo "$1" || echo "n/a"; }

mean2() {  # mean2 FORMAT A B: mean of two figures, empty unless both are numbers
  awk -v f="$1" -v a="$2" -v b="$3" 'BEGIN { if (a+0 > 0 && b+0 > 0) printf f, (a+b)/2 }'
}
# metric RUN1 RUN2 KEY FORMAT: the mean of KEY over the two runs of one server
metric() { mean2 "$4" "$(field "$1" "$3")" "$(field "$2" "$3")"; }

ms() {  # ms RUN1 RUN2 KEY: mean of a µs figure of two runs, in ms
  awk -v a="$(field "$1" "$3")" -v b="$(field "$2" "$3")" \
    'BEGIN { if (a != "" && b != "") printf "%.2f", (a + b) / 2000 }'
}
pct() {  # pct RUN1 RUN2 [FORMAT]: the share of owed deliveries that arrived, both runs together
  awk -v d1="$(field "$1" deliveries)" -v d2="$(field "$2" deliveries)" \
      -v e1="$(field "$1" expected)" -v e2="$(field "$2" expected)" -v f="${3:-%.1f}" \
      'BEGIN { if (e1 + e2 > 0) printf f " %%", 100 * (d1 + d2) / (e1 + e2); else print "n/a" }'
}

# ---- bench/run_fanout.sh's helpers (chat fan-out against the limit) -------------------------
# wait_listen PORT [TRIES]: until something listens on 127.0.0.1:PORT (20 ms a try, 250 tries by
# default), without connecting: `ncat --chat` quits when a client it accepted is gone before it
# announces the next one (getpeername fails), so a probe connection would kill it.
wait_listen() {
  local port=$1 tries=${2:-250}
  while [ "$tries" -gt 0 ]; do
    ss -Hltn "sport = :$port" 2>/dev/null | grep -q . && return 0
    sleep 0.02; tries=$((tries - 1))
  done
  return 1
}
# main_pid PID: PID, or its only child if PID is a wrapper script (bench/peers/ngircd.sh runs
# ngircd as a child), for chat_load --cpu-pids.
main_pid() {
  local child; child=$(pgrep -P "$1" 2>/dev/null | head -1)
  echo "${child:-$1}"
}
# ---- end of bench/run_fanout.sh's helpers ----------------------------------------------------
