#!/usr/bin/env bash
# bench/run_echo.sh: sockchatd's echo against the limit and against the peers a user would pick
# instead (issue 15), same load, same session, one results file.
#
#   sockchatd   threads: 2, echo.prefix "" (RFC 862), admin socket off, connection limits raised
#   epoll_echo  THE LIMIT: bench/peers/epoll_echo.c, a bare epoll echo, 2 threads (SO_REUSEPORT)
#   asio_echo   what a C++ user writes: bench/peers/asio_echo.cc, standalone asio, 2 threads
#               (only if it was built: libasio-dev)
#   socat       bench/peers/socat_echo.sh, fork per connection: baseline, small counts only
#   tutorial    bench/peers/tutorial_server.py (answers "hello "+data: --prefix-len 6; its
#               recv(1024) splits a 4 KiB request into several replies, so 16-byte cases only):
#               baseline, small counts only
#
# CPU POLICY: NO PINNING. Unlike run.sh, every server gets both cores and runs 2 threads
# (sockchatd `threads: 2`, as the issue sets it), and echo_load is unpinned too: the kernel
# places the server's threads and the generator. So the figures include the generator competing
# for the same two cores (echo_load is one thread; its load_cpu= in the raw lines says how busy
# it was), identically for every server.
#
# Cases: ping-pong (each connection one request in flight, checked byte for byte) with SIZES
# bytes at CONNS connections: round trips/s, p50 / p99 / p999; storm (STORM_CONNS concurrent
# loops of connect, one 16-byte round trip, close): connections/s. sockchatd only: RSS per idle
# connection with IDLE_CONNS open (epoll_echo's and asio_echo's beside it), RSS after a storm of
# STORM_TOTAL connections against its RSS after a first storm of STORM_WARMUP (growth that keeps
# coming is a leak; what the first connections cost once, the fresh server's thread caches, hash
# tables and touched stacks, is reported beside it), and the time from exec to READY=1 (sd_notify).
# Every run starts a fresh server on a free port (readiness: connect polling); each case runs
# every server twice, in the order A B C ... C B A, so a drift in background load favours none,
# and the figures are the mean of the two runs.
#
# Knobs (environment): DURATION=2 (seconds per run; each server runs twice per case)
#   SIZES="16 4096" CONNS="1 64 512 5000" PEER_CONNS="1 64" (where socat / tutorial run)
#   STORM_CONNS=64 STORM_SIZE=16 IDLE_CONNS=10000 IDLE_HOLD=2 STORM_TOTAL=100000 READY_RUNS=5
#   BUDGET_S=200 (runs that would start later are skipped) BUILD_DIR=<root>/build-bench
#   OUT=<file> SUMMARY=<file> (key=value lines of the means, for bench/run) PYTHON=python3
set -euo pipefail
started=$(date +%s)

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
BUILD_DIR=${BUILD_DIR:-$root/build-bench}
DURATION=${DURATION:-2}
SIZES=${SIZES:-"16 4096"}
CONNS=${CONNS:-"1 64 512 5000"}
PEER_CONNS=${PEER_CONNS:-"1 64"}
STORM_CONNS=${STORM_CONNS:-64}
STORM_SIZE=${STORM_SIZE:-16}
IDLE_CONNS=${IDLE_CONNS:-10000}
IDLE_HOLD=${IDLE_HOLD:-2}
STORM_TOTAL=${STORM_TOTAL:-100000}
STORM_WARMUP=${STORM_WARMUP:-10000}
READY_RUNS=${READY_RUNS:-5}
PYTHON=${PYTHON:-python3}
OUT=${OUT:-$here/results/$(date +%F)-echo.md}
BUDGET_S=${BUDGET_S:-200}  # with an up-to-date build the run stays under 4 min: later runs are skipped
SUMMARY=${SUMMARY:-}

# shellcheck source=bench/lib.sh
. "$here/lib.sh"
bench_init  # tools, PYTHON, $work, traps
SERVER_PIN=""  # the CPU policy above: nothing pinned (launch uses it; echo_load runs unpinned)
load_before=$(loadavg)
[ -z "$SUMMARY" ] || { mkdir -p "$(dirname "$SUMMARY")"; : >"$SUMMARY"; }

# Two cores, one of them perhaps someone else's build's: at most two compile jobs.
export CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-2}
build_bench sockchatd echo_load epoll_echo
have_asio=0
cmake --build "$BUILD_DIR" --target asio_echo >/dev/null 2>&1 && have_asio=1 ||
  echo "run_echo.sh: asio_echo not built (apt-get install libasio-dev, then reconfigure): its rows are skipped" >&2
have_socat=0
command -v socat >/dev/null && have_socat=1 ||
  echo "run_echo.sh: socat missing (apt-get install socat): its rows are skipped" >&2
SOCKCHATD=$BUILD_DIR/daemon/sockchatd
LOAD=$BUILD_DIR/bench/echo_load
# lib.sh's free_port starts Python, half a second on a loaded machine, times ~80 runs here.
free_port() { "$LOAD" --free-port; }

sockchatd_config() {  # sockchatd_config PORT FILE
  cat >"$2" <<EOF
listen: [{service: echo, address: "127.0.0.1:$1"}]
threads: 2
echo: {prefix: ""}
limits: {max_connections: 16000, max_connections_per_ip: 16000}
logging: {level: warn}
admin: {socket: ""}
EOF
}

# start_server NAME PORT: in the background, in its own session (lib.sh's launch, unpinned).
start_server() {
  local name=$1 port=$2
  case $name in
    sockchatd) sockchatd_config "$port" "$work/sockchatd.yaml"
               launch sockchatd "$SOCKCHATD" -c "$work/sockchatd.yaml";;
    epoll_echo) launch "$name" "$BUILD_DIR/bench/epoll_echo" "$port" 2;;
    asio_echo) launch "$name" "$BUILD_DIR/bench/asio_echo" "$port" 2;;
    socat) launch "$name" "$here/peers/socat_echo.sh" "$port";;
    tutorial) launch "$name" "$PYTHON" "$here/peers/tutorial_server.py" "$port";;
  esac
}
prefix_len() { [ "$1" = tutorial ] && echo 6 || echo 0; }

# The servers of one case: the limit and the peers, the baselines only where they are sane.
servers_for() {  # servers_for CONNS SIZE
  local list="sockchatd epoll_echo"
  [ $have_asio = 1 ] && list+=" asio_echo"
  if [[ " $PEER_CONNS " == *" $1 "* ]]; then
    [ $have_socat = 1 ] && list+=" socat"
    [ "$2" -le 1024 ] && list+=" tutorial"
  fi
  echo "$list"
}
reverse() { local out="" w; for w in $1; do out="$w $out"; done; echo "$out"; }

raw=$work/raw.txt
: >"$raw"
# run_case NAME MODE CONNS SIZE SECS -> prints echo_load's line (or FAIL / SKIPPED ...).
run_case() {
  local name=$1 mode=$2 conns=$3 size=$4 secs=$5 port line rc=0
  if over_budget "$BUDGET_S"; then echo "SKIPPED (time budget)"; return; fi
  port=$(free_port)
  start_server "$name" "$port"
  if ! "$LOAD" --port "$port" --wait-ready 5000 --connections 0 2>>"$work/$name.log"; then
    stop_server; echo "FAIL server not ready"; echo "$name FAIL not ready" >>"$raw"; return
  fi
  line=$(timeout 60 "$LOAD" --port "$port" --mode "$mode" --connections "$conns" --size "$size" \
           --duration "$secs" --prefix-len "$(prefix_len "$name")" --setup-timeout 30 \
           2>>"$work/$name.log") || rc=$?
  run_end echo_load "$rc"
  echo "$name $line" >>"$raw"
  echo "$line"
}

# meets VALUE LIMIT FACTOR [le]: "met" if VALUE >= FACTOR * LIMIT (with le: <=), else "**missed**".
meets() {
  awk -v a="$1" -v b="$2" -v f="$3" -v op="${4:-ge}" 'BEGIN {
    if (!(a + 0 > 0 && b + 0 > 0)) { print "n/a"; exit }
    ok = (op == "le") ? (a <= f * b) : (a >= f * b); print ok ? "met" : "**missed**" }'
}
rss_kb() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$1/status" 2>/dev/null || true; }

declare -A R1 R2  # "mode:size:conns:server" -> echo_load line of the first / second run
targets=""        # rows of the targets table
target() { targets+="| $1 | $2 | $3 | $4 |"$'\n'; }

# --- start-to-READY ------------------------------------------------------------------------------
# The built-in default config except what a free port and an unprivileged run need: the same three
# listeners (echo 127.0.0.1, chat 127.0.0.1 and [::1]) on free ports, the admin socket in $work
# instead of /run/sockchatd. Everything else (threads: 0 = one per CPU, logging info, ...) default.
ready_line=$("$PYTHON" - "$SOCKCHATD" "$work" "$READY_RUNS" <<'EOF' 2>>"$work/sockchatd-ready.log" || echo "FAIL"
import os, socket, subprocess, sys, time
daemon, work, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
def port(family, host):
    s = socket.socket(family); s.bind((host, 0)); p = s.getsockname()[1]; s.close(); return p
times = []
for i in range(runs):
    cfg = os.path.join(work, f"ready-{i}.yaml")
    with open(cfg, "w") as f:
        f.write("listen:\n"
                f'  - {{service: echo, address: "127.0.0.1:{port(socket.AF_INET, "127.0.0.1")}"}}\n'
                f'  - {{service: chat, address: "127.0.0.1:{port(socket.AF_INET, "127.0.0.1")}"}}\n'
                f'  - {{service: chat, address: "[::1]:{port(socket.AF_INET6, "::1")}"}}\n'
                f'admin: {{socket: "{work}/admin-{i}.sock"}}\n')
    path = os.path.join(work, f"notify-{i}.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); sock.bind(path); sock.settimeout(10)
    env = dict(os.environ, NOTIFY_SOCKET=path)
    t0 = time.monotonic()
    proc = subprocess.Popen([daemon, "-c", cfg], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        while True:
            msg = sock.recv(4096).decode(errors="replace")
            if "READY=1" in msg.split("\n"):
                times.append((time.monotonic() - t0) * 1e3); break
    except socket.timeout:
        print(f"run {i}: no READY=1 within 10 s", file=sys.stderr)
    proc.terminate(); proc.wait(timeout=10); sock.close()
times.sort()
if not times: print("FAIL"); sys.exit(0)
print("ready_ms=" + ",".join(f"{t:.1f}" for t in times) +
      f" median_ms={times[len(times) // 2]:.1f} min_ms={times[0]:.1f} max_ms={times[-1]:.1f}")
EOF
)
echo "start-to-READY: $ready_line" >&2

# --- storm: connections per second -----------------------------------------------------------------
# Every server: socat forks per connection and the tutorial server starts a thread per connection,
# which is exactly what a storm measures, and STORM_CONNS loops is a small count.
storm_servers="sockchatd epoll_echo"
[ $have_asio = 1 ] && storm_servers+=" asio_echo"
[ $have_socat = 1 ] && storm_servers+=" socat"
[ "$STORM_SIZE" -le 1024 ] && storm_servers+=" tutorial"
for s in $storm_servers; do
  R1["storm:$STORM_SIZE:$STORM_CONNS:$s"]=$(run_case "$s" storm "$STORM_CONNS" "$STORM_SIZE" "$DURATION")
done
for s in $(reverse "$storm_servers"); do
  R2["storm:$STORM_SIZE:$STORM_CONNS:$s"]=$(run_case "$s" storm "$STORM_CONNS" "$STORM_SIZE" "$DURATION")
done

# --- memory: RSS per idle connection, and after a storm ----------------------------------------------
# idle_rss NAME -> "before_kb with_kb after_close_kb bytes_per_conn" or "FAIL ..."
idle_rss() {
  local name=$1 port before with after out=$work/idle-$1.txt i
  port=$(free_port)
  start_server "$name" "$port"
  if ! "$LOAD" --port "$port" --wait-ready 5000 --connections 0 2>>"$work/$name.log"; then
    stop_server; echo "FAIL not ready"; return
  fi
  before=$(rss_kb "$server_pid")
  timeout 90 "$LOAD" --port "$port" --mode idle --connections "$IDLE_CONNS" --hold "$IDLE_HOLD" \
    --setup-timeout 60 >"$out" 2>>"$work/$name.log" &
  local load=$!
  for ((i = 0; i < 6000; i++)); do grep -q '^idle_ready' "$out" && break; kill -0 $load 2>/dev/null || break; sleep 0.01; done
  with=$(rss_kb "$server_pid")
  local rc=0; wait $load || rc=$?
  sleep 0.5
  after=$(rss_kb "$server_pid")
  echo "$name idle: before_kb=$before with_kb=$with after_close_kb=$after $(tail -1 "$out") rc=$rc" >>"$raw"
  stop_server
  if [ $rc -ne 0 ] || ! grep -q '^idle_ready' "$out"; then echo "FAIL echo_load exit $rc"; return; fi
  echo "$before $with $after $(awk -v a="$before" -v b="$with" -v n="$IDLE_CONNS" 'BEGIN { printf "%.0f", (b - a) * 1024 / n }')"
}
declare -A IDLE
for s in sockchatd epoll_echo $( [ $have_asio = 1 ] && echo asio_echo ); do
  if over_budget "$BUDGET_S"; then IDLE[$s]="SKIPPED (time budget)"; continue; fi
  IDLE[$s]=$(idle_rss "$s")
  echo "idle $IDLE_CONNS: $s ${IDLE[$s]}" >&2
done

# sockchatd's RSS fresh, after STORM_WARMUP connections and after STORM_TOTAL more (each one
# round trip), one server; each read 1 s after its storm.
storm_rss="SKIPPED (time budget)"
if ! over_budget "$BUDGET_S"; then
  port=$(free_port)
  start_server sockchatd "$port"
  if "$LOAD" --port "$port" --wait-ready 5000 --connections 0 2>>"$work/sockchatd.log"; then
    fresh=$(rss_kb "$server_pid"); rc=0
    storm() {
      timeout 120 "$LOAD" --port "$port" --mode storm --connections "$STORM_CONNS" \
        --size "$STORM_SIZE" --count "$1" --duration 100 2>>"$work/sockchatd.log"
    }
    storm "$STORM_WARMUP" >/dev/null || rc=$?
    sleep 1
    warm=$(rss_kb "$server_pid")
    line=$(storm "$STORM_TOTAL") || rc=$?
    sleep 1
    after=$(rss_kb "$server_pid")
    echo "sockchatd storm-rss: fresh_kb=$fresh warm_kb=$warm after_kb=$after rc=$rc $line" >>"$raw"
    storm_rss="$warm $after $(field "$line" completed) $(field "$line" cps) $(field "$line" errors) $fresh"
    [ $rc -ne 0 ] && storm_rss="FAIL echo_load exit $rc ($line)"
  else
    storm_rss="FAIL not ready"
  fi
  stop_server
fi
echo "storm RSS: $storm_rss" >&2

# --- ping-pong -------------------------------------------------------------------------------------
for size in $SIZES; do
  for c in $CONNS; do
    list=$(servers_for "$c" "$size")
    for s in $list; do R1["pingpong:$size:$c:$s"]=$(run_case "$s" pingpong "$c" "$size" "$DURATION"); done
    for s in $(reverse "$list"); do R2["pingpong:$size:$c:$s"]=$(run_case "$s" pingpong "$c" "$size" "$DURATION"); done
    echo "pingpong $size B $c conns: $(for s in $list; do printf '%s=%s ' "$s" "$(metric "${R1["pingpong:$size:$c:$s"]}" "${R2["pingpong:$size:$c:$s"]}" rps %.0f)"; done)" >&2
  done
done

# --- the report ------------------------------------------------------------------------------------
all_servers="sockchatd epoll_echo asio_echo socat tutorial"
m() { local k="$1:$2"; metric "${R1[$k]:-}" "${R2[$k]:-}" "$3" "${4:-%.0f}"; }  # m CASE SERVER KEY
# best_peer CASE KEY -> "NAME VALUE" of the highest mean among asio, socat and tutorial
best_peer() {
  local s v best="" bv=0
  for s in asio_echo socat tutorial; do
    v=$(m "$1" "$s" "$2")
    [ -n "$v" ] && awk -v a="$v" -v b="$bv" 'BEGIN { exit !(a > b) }' && { best=$s; bv=$v; }
  done
  [ -n "$best" ] && echo "$best $bv"
}
# throughput_row CASE LABEL KEY -> the table row of every server's mean and the ratios
throughput_row() {
  local k=$1 key=$3 s row="| $2 |" ours lim bp asio
  for s in $all_servers; do row+=" $(num "$(m "$k" "$s" "$key")") |"; done
  ours=$(m "$k" sockchatd "$key"); lim=$(m "$k" epoll_echo "$key")
  bp=$(best_peer "$k" "$key"); asio=$(m "$k" asio_echo "$key")
  row+=" **$(ratio "$ours" "$lim")** ($(ratio "$(field "${R1[$k:sockchatd]:-}" "$key")" "$(field "${R1[$k:epoll_echo]:-}" "$key")"), $(ratio "$(field "${R2[$k:sockchatd]:-}" "$key")" "$(field "${R2[$k:epoll_echo]:-}" "$key")")) |"
  row+=" $( [ -n "$bp" ] && echo "**$(ratio "$ours" "${bp#* }")** (${bp% *})" || echo n/a) | $(ratio "$ours" "$asio") |"
  row+=" $(num "$(m "$k" sockchatd load_cpu %.2f)") / $(num "$(m "$k" epoll_echo load_cpu %.2f)") |"
  echo "$row"
}

pp_rows=""; lat_rows=""
for size in $SIZES; do
  for c in $CONNS; do
    k="pingpong:$size:$c"
    pp_rows+="$(throughput_row "$k" "$size B, $c" rps)"$'\n'
    row="| $size B, $c |"
    for s in $all_servers; do
      if [ -n "${R1[$k:$s]:-}" ]; then
        row+=" $(num "$(m "$k" "$s" p50_us)") / $(num "$(m "$k" "$s" p99_us)") / $(num "$(m "$k" "$s" p999_us)") |"
      else row+=" |"; fi
    done
    p99o=$(m "$k" sockchatd p99_us); p99l=$(m "$k" epoll_echo p99_us)
    row+=" **$(ratio "$p99o" "$p99l")** |"
    lat_rows+="$row"$'\n'
    rps_o=$(m "$k" sockchatd rps); rps_l=$(m "$k" epoll_echo rps); rps_a=$(m "$k" asio_echo rps)
    case $c in
      64|512) target "round trips/s ≥ 1.0× limit" "$size B, $c conns" "$(ratio "$rps_o" "$rps_l")×" "$(meets "$rps_o" "$rps_l" 1.0)";;
      5000) target "round trips/s ≥ 0.9× limit" "$size B, $c conns" "$(ratio "$rps_o" "$rps_l")×" "$(meets "$rps_o" "$rps_l" 0.9)";;
    esac
    if [ "$c" -ge 64 ]; then
      target "p99 ≤ 1.1× the limit's p99" "$size B, $c conns" "$(ratio "$p99o" "$p99l")× ($(num "$p99o") vs $(num "$p99l") µs)" "$(meets "$p99o" "$p99l" 1.1 le)"
      target "round trips/s ≥ 1.5× asio" "$size B, $c conns" "$(ratio "$rps_o" "$rps_a")×" "$(meets "$rps_o" "$rps_a" 1.5)"
    fi
  done
done
storm_case="storm:$STORM_SIZE:$STORM_CONNS"
storm_row=$(throughput_row "$storm_case" "$STORM_CONNS loops" cps)
storm_lat="| $STORM_CONNS loops |"
for s in $all_servers; do
  if [ -n "${R1[$storm_case:$s]:-}" ]; then
    storm_lat+=" $(num "$(m "$storm_case" "$s" p50_us)") / $(num "$(m "$storm_case" "$s" p99_us)") |"
  else storm_lat+=" |"; fi
done
cps_o=$(m "$storm_case" sockchatd cps); cps_l=$(m "$storm_case" epoll_echo cps)
target "storm connections/s ≥ 0.9× limit" "$STORM_CONNS loops" "$(ratio "$cps_o" "$cps_l")×" "$(meets "$cps_o" "$cps_l" 0.9)"
load_after=$(loadavg)

# The machine-readable summary (bench/run reads it): the mean of the two runs of each server.
for k in "${!R1[@]}"; do
  IFS=: read -r mode size c s <<<"$k"
  case ${R1[$k]} in FAIL*|SKIPPED*) summary "$mode" "size=$size" "conns=$c" "server=$s" status=fail; continue;; esac
  case ${R2[$k]:-} in FAIL*|SKIPPED*|"") summary "$mode" "size=$size" "conns=$c" "server=$s" status=fail; continue;; esac
  c_=${k%:*}
  summary "$mode" "size=$size" "conns=$c" "server=$s" "rps=$(m "$c_" "$s" rps)" "cps=$(m "$c_" "$s" cps)" \
    "p50_us=$(m "$c_" "$s" p50_us %.1f)" "p99_us=$(m "$c_" "$s" p99_us %.1f)" "p999_us=$(m "$c_" "$s" p999_us %.1f)" \
    "load_cpu=$(m "$c_" "$s" load_cpu %.2f)"
done
for s in "${!IDLE[@]}"; do
  case ${IDLE[$s]} in FAIL*|SKIPPED*) summary idle "server=$s" "conns=$IDLE_CONNS" status=fail; continue;; esac
  read -r a b c d <<<"${IDLE[$s]}"
  summary idle "server=$s" "conns=$IDLE_CONNS" "before_kb=$a" "with_kb=$b" "after_close_kb=$c" "bytes_per_conn=$d"
done
case $storm_rss in
  FAIL*|SKIPPED*) summary storm_rss server=sockchatd "total=$STORM_TOTAL" status=fail;;
  *) read -r a b c d e f <<<"$storm_rss"
     summary storm_rss server=sockchatd "total=$STORM_TOTAL" "warmup=$STORM_WARMUP" "fresh_kb=$f" \
       "before_kb=$a" "after_kb=$b" "growth_kb=$((b - a))" "first_kb=$((a - f))" \
       "completed=$c" "cps=$d" "errors=$e";;
esac
case $ready_line in
  FAIL*) summary ready server=sockchatd status=fail;;
  *) summary ready server=sockchatd "runs=$READY_RUNS" "median_ms=$(field "$ready_line" median_ms)" \
       "min_ms=$(field "$ready_line" min_ms)" "max_ms=$(field "$ready_line" max_ms)";;
esac

mkdir -p "$(dirname "$OUT")"
{
  echo "# Echo against the limit, $(date +%F)"
  echo
  echo "Written by \`bench/run_echo.sh\` in $(( $(date +%s) - started )) s (issue 15). The limit is"
  echo "\`bench/peers/epoll_echo.c\`, a bare epoll echo written for the bench; asio_echo is what a C++"
  echo "user would write instead; socat and the tutorial server are baselines at small counts. Every"
  echo "server ran twice per case, in the order A B C … C B A, $DURATION s per run, each run a fresh"
  echo "server on a free port; figures are the mean of its two runs. Ratios are sockchatd / other:"
  echo "above 1 for round trips/s and connections/s, below 1 for latency, mean sockchatd is better; in"
  echo "brackets the ratios to the limit of the first and of the second run (the machine's noise)."
  echo
  echo "- machine: $(machine)"
  echo "- load average before $load_before, after $load_after (other work shares this machine)"
  echo "- build: Release, commit $(commit_id)"
  echo "- CPU policy: **no pinning**; sockchatd \`threads: 2\`, epoll_echo and asio_echo 2 threads, echo_load (one thread) unpinned beside them"
  echo "- peers: $( [ $have_asio = 1 ] && echo "asio $(dpkg-query -W -f '${Version}' libasio-dev 2>/dev/null || echo '?')" || echo "asio_echo not built"); $( [ $have_socat = 1 ] && socat -V 2>/dev/null | sed -n 's/^socat version \([^ ]*\).*/socat \1/p' || echo socat not installed); $("$PYTHON" --version 2>&1) (tutorial server)"
  echo
  echo "## Targets (issue 15)"
  echo
  echo "| target | case | sockchatd | |"
  echo "|---|---|---:|---|"
  printf '%s' "$targets"
  echo
  echo "## Ping-pong: round trips/s"
  echo
  echo "One request in flight per connection, checked byte for byte. Empty: not run (socat and the"
  echo "tutorial server only at $PEER_CONNS connections; the tutorial server only up to 1024 bytes)."
  echo
  echo "| size, conns | sockchatd | epoll_echo (limit) | asio_echo | socat | tutorial | ÷ limit (runs) | ÷ best peer | ÷ asio | echo_load CPU: sockchatd / limit runs |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  printf '%s' "$pp_rows"
  echo
  echo "echo_load CPU: the generator's CPU seconds per second of the window (one thread: 1.0 would"
  echo "mean it, not the server, was the bottleneck; the three processes share two cores)."
  echo
  echo "## Ping-pong: latency p50 / p99 / p999 µs"
  echo
  echo "| size, conns | sockchatd | epoll_echo (limit) | asio_echo | socat | tutorial | p99 ÷ limit's |"
  echo "|---|---:|---:|---:|---:|---:|---:|"
  printf '%s' "$lat_rows"
  echo
  echo "## Storm: connect, one $STORM_SIZE-byte round trip, close; connections/s"
  echo
  echo "| loops | sockchatd | epoll_echo (limit) | asio_echo | socat | tutorial | ÷ limit (runs) | ÷ best peer | ÷ asio | echo_load CPU: sockchatd / limit runs |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  echo "$storm_row"
  echo
  echo "Loop time (connect to the last byte back), p50 / p99 µs:"
  echo
  echo "| loops | sockchatd | epoll_echo (limit) | asio_echo | socat | tutorial |"
  echo "|---|---:|---:|---:|---:|---:|"
  echo "$storm_lat"
  echo
  echo "## Memory"
  echo
  echo "RSS (VmRSS of /proc/PID/status) with $IDLE_CONNS idle connections (each had one round trip, so"
  echo "the server has accepted it), against the fresh server before them; kernel socket buffers are"
  echo "not in it. After close: 0.5 s after echo_load closed them all."
  echo
  echo "| server | RSS before | with $IDLE_CONNS | after close | per idle connection |"
  echo "|---|---:|---:|---:|---:|"
  for s in sockchatd epoll_echo asio_echo; do
    [ -n "${IDLE[$s]:-}" ] || continue
    read -r a b c d <<<"${IDLE[$s]}"
    if [[ "${IDLE[$s]}" == FAIL* || "${IDLE[$s]}" == SKIPPED* ]]; then echo "| $s | ${IDLE[$s]} | | | |"
    else echo "| $s | $a KiB | $b KiB | $c KiB | **$d bytes** |"; fi
  done
  echo
  if [[ "$storm_rss" == FAIL* || "$storm_rss" == SKIPPED* ]]; then
    echo "sockchatd after a storm of $STORM_TOTAL connections: $storm_rss"
  else
    read -r a b c d e f <<<"$storm_rss"
    echo "sockchatd after a storm of $c connections ($STORM_CONNS loops, $d connections/s, errors $e): RSS"
    echo "$a KiB before it (after a first storm of $STORM_WARMUP; $f KiB fresh), $b KiB 1 s after,"
    echo "growth **$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%+d KiB", b - a }')** (the first $STORM_WARMUP cost"
    echo "$(awk -v a="$a" -v f="$f" 'BEGIN { printf "%+d KiB", a - f }') once)."
  fi
  echo
  echo "## Start to READY"
  echo
  echo "sockchatd from exec to \`READY=1\` on \$NOTIFY_SOCKET (a unix datagram socket the script listens"
  echo "on), $READY_RUNS starts. Config: the built-in default (threads: 0 = one per CPU, logging info,"
  echo "…) except the three default listeners on free ports and the admin socket in a temporary"
  echo "directory instead of /run/sockchatd: $ready_line"
  echo
  echo "## Raw echo_load lines"
  echo
  echo '```'
  cat "$raw"
  echo '```'
  server_logs 5 'sockchatd*=40'
} >"$OUT"
echo "wrote $OUT" >&2
