# bench/lib.sh: what bench/run*.sh (and bench/run) share. Sourced, never run on its own.
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

# ---- shared by bench/run_echo.sh, bench/run_fanout.sh and bench/run -------------------------
# The commit measured: the short id, "-dirty" if tracked files differ from it.
# shellcheck disable=SC2154  # root: the caller's
commit_id() {
  local id; id=$(git -C "$root" rev-parse --short HEAD 2>/dev/null) || { echo unknown; return; }
  git -C "$root" diff --quiet HEAD 2>/dev/null || id+="-dirty"
  echo "$id"
}
machine() { echo "$(nproc) CPUs, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1), Linux $(uname -r)"; }
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
# shellcheck disable=SC2154  # started: the caller's
elapsed() { echo $(( $(date +%s) - started )); }  # seconds since the caller's $started
# over_budget SECONDS: true once the caller has been running longer than that.
over_budget() { [ "$(elapsed)" -gt "$1" ]; }

# summary KIND KEY=VALUE...: one line of the machine-readable summary, if SUMMARY names a file
# (bench/run reads it to write bench/RESULTS.md); empty values are dropped.
summary() {
  [ -n "${SUMMARY:-}" ] || return 0
  local out=$1 kv; shift
  for kv in "$@"; do [ -n "${kv#*=}" ] && out+=" $kv"; done
  echo "$out" >>"$SUMMARY"
}

# run_end TOOL RC: after a load run, stops the server and prefixes the caller's `line` with FAIL
# if the server had died during the run or TOOL (the load generator) exited with RC != 0.
run_end() {
  local died=0
  kill -0 "$server_pid" 2>/dev/null || died=1
  stop_server
  [ $died = 1 ] && line="FAIL server exited (status $server_status) ${line}"
  [ "$2" -ne 0 ] && line="FAIL $1 exit $2 ${line}"
  return 0
}

# server_logs KEEP_DEFAULT [NAME=KEEP...]: the report's stderr sections, one per non-empty
# $work/*.log, the first KEEP lines of each (NAME* patterns may keep more).
server_logs() {
  local default=$1 log name keep pat; shift
  for log in "$work"/*.log; do
    [ -s "$log" ] || continue
    name=$(basename "$log" .log); keep=$default
    for pat in "$@"; do
      # shellcheck disable=SC2053  # the pattern is meant to match as a glob
      [[ $name == ${pat%%=*} ]] && keep=${pat#*=}
    done
    echo
    echo "### $name: stderr ($(wc -l <"$log") lines, first $keep shown)"
    echo
    echo '```'
    head -"$keep" "$log"
    echo '```'
  done
}

# ---- system calls per delivery: perf, attached to a server for chat_load's window ----------
# perf_usable: perf can count syscall tracepoints here (root or perf_event_paranoid <= -1, and
# tracefs). Instructions are tried too; in many VMs they are "<not supported>" (no PMU).
perf_usable() {
  command -v perf >/dev/null &&
    perf stat -x, -e raw_syscalls:sys_enter -- true 2>&1 | grep -q '^[0-9]*,,raw_syscalls:sys_enter'
}
PERF_WRITE_EVENTS="sendto sendmsg writev write"
PERF_LOOP_EVENTS="epoll_wait epoll_pwait"
# perf_start MODE PID: perf stat (MODE stat: counts) or perf record (MODE record: the sequence of
# write-family and epoll_wait calls per thread, for writes per client per loop pass), attached to
# PID and disabled until chat_load --perf-ctl "$perf_fifo" enables it for the window.
perf_start() {
  local mode=$1 pid=$2 ev events=""
  perf_fifo=$work/perf.ctl; perf_out=$work/perf.$mode
  rm -f "$perf_fifo" "$perf_out"; mkfifo "$perf_fifo"
  for ev in $PERF_WRITE_EVENTS $PERF_LOOP_EVENTS; do events+=",syscalls:sys_enter_$ev"; done
  if [ "$mode" = stat ]; then
    perf stat -x, -o "$perf_out" -D -1 --control "fifo:$perf_fifo" -p "$pid" \
      -e "raw_syscalls:sys_enter$events,task-clock,instructions" 2>>"$work/perf.log" &
  else
    perf record -q -c 1 -m 1024 -o "$perf_out" -D -1 --control "fifo:$perf_fifo" -p "$pid" \
      -e "${events#,}" 2>>"$work/perf.log" &
  fi
  perf_pid=$!
  sleep 0.2  # perf opens the FIFO and attaches before chat_load's window can start
}
# perf_stop: ends perf and sets perf_counts to what it measured as KEY=VALUE words (not in a
# $(...) subshell: perf must be waited for by the shell that started it): syscalls, each event's
# calls, task_clock_ms, instructions ("n/a" when not countable); for record: passes (epoll_wait
# calls that were followed by a client write), client_writes, written (pass, fd) pairs,
# max_writes_per_fd_pass, multi (pairs with more than one write), lost (events perf dropped).
perf_stop() {
  kill -INT "$perf_pid" 2>/dev/null || true
  wait "$perf_pid" 2>/dev/null || true
  perf_counts=$(perf_parse)
  rm -f "$perf_fifo"
}
perf_parse() {
  if [ "${perf_out##*.}" = stat ]; then
    awk -F, '
      $3 == "raw_syscalls:sys_enter" { printf "syscalls=%s ", $1 }
      $3 ~ /^syscalls:sys_enter_/ { e = $3; sub(/^syscalls:sys_enter_/, "", e); printf "%s=%s ", e, $1 }
      $3 == "task-clock" { printf "task_clock_ms=%s ", $1 }
      $3 == "instructions" { printf "instructions=%s ", ($1 ~ /^[0-9]+$/ ? $1 : "n/a") }
      END { print "" }' "$perf_out"
  else
    # Per thread, a loop pass is what lies between two of its epoll_wait calls; a client is
    # the fd a sendto / sendmsg / writev goes to (write is left out: sockchatd writes only
    # eventfd wake-ups with it).
    perf script -i "$perf_out" -F tid,event,trace 2>/dev/null | awk '
      function flush(t,   k, n) {
        n = 0
        for (k in cnt) if (index(k, t SUBSEP) == 1) {
          pairs++; n++; if (cnt[k] > maxw) maxw = cnt[k]; if (cnt[k] > 1) multi++; delete cnt[k] }
        if (n) passes++
      }
      { ev = $2; sub(/:$/, "", ev); sub(/^syscalls:sys_enter_/, "", ev) }
      ev ~ /^epoll_p?wait$/ { flush($1); next }
      ev ~ /^(sendto|sendmsg|writev)$/ { writes++; cnt[$1, $4]++ }
      END { for (k in cnt) { split(k, a, SUBSEP); tids[a[1]] = 1 }
            for (t in tids) flush(t)
            printf "passes=%d client_writes=%d pairs=%d max_writes_per_fd_pass=%d multi=%d ",
                   passes, writes, pairs, maxw, multi }'
    # Events perf could not keep up with (its ring buffer full): the passes above miss them.
    echo "lost=$(perf report -i "$perf_out" --stats 2>/dev/null | awk '/LOST events:/ { n += $3 } END { print n + 0 }')"
  fi
}
