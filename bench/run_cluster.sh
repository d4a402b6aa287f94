#!/usr/bin/env bash
# bench/run_cluster.sh: the chat fan-out of bench/run_chat.sh through sockchatd's cluster mode.
# The same room load on three configurations, in one session, one results table:
#
#   single   one daemon, no cluster (the reference every ratio is taken against)
#   redis-1  one daemon with cluster.redis: every line goes to Redis (a Lua script: seq, XADD,
#            PUBLISH) and is delivered from the daemon's subscription, the sender's own included
#   redis-2  two daemons on the same Redis, chat_load's clients split evenly between them
#            (client i on daemon i % 2, so the senders too): a line sent on one daemon reaches
#            the other's members only through Redis
#
# Load (chat_load): CLIENTS clients in one room, the first SENDERS of them sending RATE lines/s
# each (open loop, fixed schedule); every line is owed to the CLIENTS-1 others, so the servers
# owe SENDERS * RATE * (CLIENTS-1) deliveries/s. chat_load checks that every owed line arrives,
# each sender's lines in order, and that all receivers saw the lines in one order.
#
# CPU: as in run_chat.sh, the server side gets CPU 0 and chat_load CPU 1; here the server side is
# the daemon(s) *and* redis-server, so the cluster configurations have no more CPU than the single
# daemon has: Redis and two daemons share the core one daemon had alone. Each daemon runs
# threads: 2 (as in run_chat.sh), plus, in cluster mode, the backend's own thread. REDIS_CPU=1
# puts Redis on chat_load's core instead (then the cluster has more CPU than the single daemon).
# The CPU time of each daemon and of Redis over the window (utime + stime from /proc/PID/stat)
# is measured by chat_load (--cpu-pids).
#
# Redis: one redis-server for the whole run, started here on a free port (--save '' --appendonly
# no: nothing on disk), killed at exit. Every cluster run uses a fresh cluster.prefix, so no run
# sees another's rooms, history or nicks.
#
# Every run starts fresh daemons; each row (one RATE) runs single, redis-1, redis-2, redis-2,
# redis-1, single, each half of DURATION, so a drift in background load cancels out of the
# ratios; the ratios of each half are shown too.
#
# Knobs (environment): DURATION=6 CLIENTS=200 SENDERS=10 RATES="5 25 100" SIZE=64 DRAIN=3
#   REDIS_CPU=0 BUILD_DIR=<root>/build-bench OUT=<file> PYTHON=python3 REDIS_SERVER=redis-server
#   WATCH=<pgrep -f pattern>: other work to look for before and after, noted in the results
set -euo pipefail
started=$(date +%s)

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
BUILD_DIR=${BUILD_DIR:-$root/build-bench}
DURATION=${DURATION:-6}
CLIENTS=${CLIENTS:-200}
SENDERS=${SENDERS:-10}
RATES=${RATES:-"5 25 100"}
SIZE=${SIZE:-64}
DRAIN=${DRAIN:-3}
REDIS_CPU=${REDIS_CPU:-0}
PYTHON=${PYTHON:-python3}
REDIS_SERVER=${REDIS_SERVER:-redis-server}
WATCH=${WATCH:-}
OUT=${OUT:-$here/results/$(date +%F)-cluster.md}
BUDGET_S=240  # with an up-to-date build the run stays under 5 min: later cases are skipped

# shellcheck source=bench/lib.sh
. "$here/lib.sh"
command -v "$REDIS_SERVER" >/dev/null || { echo "${0##*/}: $REDIS_SERVER not found" >&2; exit 1; }
bench_init  # tools, PYTHON, SERVER_PIN / LOAD_PIN, $work, traps

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
watch_before=$(watch_note)

build_bench sockchatd chat_load
SOCKCHATD=$BUILD_DIR/daemon/sockchatd
LOAD=$BUILD_DIR/bench/chat_load

# Redis, for the whole run. launch pins it with the servers (CPU 0) unless REDIS_CPU says else.
redis_port=$(free_port)
redis_pin=$SERVER_PIN
[ -n "$SERVER_PIN" ] && redis_pin="taskset -c $REDIS_CPU"
SERVER_PIN=$redis_pin launch redis "$REDIS_SERVER" --bind 127.0.0.1 --port "$redis_port" \
  --save '' --appendonly no --logfile "$work/redis-server.txt"
redis_pid=$server_pid
server_pid=""
"$LOAD" --port "$redis_port" --wait-ready 5000 --clients 0 2>>"$work/redis.log" \
  || { echo "${0##*/}: redis-server not ready" >&2; exit 1; }

# start_daemon NAME PORT [NODE PREFIX]: a daemon, pinned, in its own session; with NODE, a
# cluster member on our Redis. Prints nothing; its pid is in server_pid.
start_daemon() {
  local name=$1 port=$2 node=${3:-} prefix=${4:-}
  # As run_chat.sh: only chat, the admin socket off, chat limits raised so that the rate limiter
  # is not what is measured, history at its default (chat_load ignores other runs' lines).
  cat >"$work/$name.yaml" <<EOF
listen: [{service: chat, address: "127.0.0.1:$port"}]
threads: 2
limits:
  max_connections: 10000
  max_connections_per_ip: 10000
  messages_per_second: 10000
  burst: 100000
logging: {level: warn}
admin: {socket: ""}
EOF
  [ -n "$node" ] && echo "cluster: {redis: \"127.0.0.1:$redis_port\", node: $node, prefix: \"$prefix\"}" >>"$work/$name.yaml"
  launch "$name" "$SOCKCHATD" -c "$work/$name.yaml"
}

raw=$work/raw.txt
: >"$raw"
# run_case CONFIG RATE SECS -> prints chat_load's line (or FAIL ...), logs it to raw.
run_case() {
  local config=$1 rate=$2 secs=$3 line rc=0 ports="" pids="" names="" prefix pid name died=""
  if [ $(( $(date +%s) - started )) -gt $BUDGET_S ]; then echo "SKIPPED (time budget)"; return; fi
  prefix="bench-$(date +%s%N):"
  case $config in
    single) names="sockchatd";;
    redis-1) names="sockchatd-redis-1";;
    redis-2) names="sockchatd-redis-2a sockchatd-redis-2b";;
  esac
  for name in $names; do
    local port; port=$(free_port)
    if [ "$config" = single ]; then start_daemon "$name" "$port"
    else start_daemon "$name" "$port" "${name##*-}" "$prefix"; fi
    ports+="${ports:+,}$port"; pids+="${pids:+ }$server_pid"
  done
  stop_all() {
    local p; server_status=""
    for p in $pids; do
      server_pid=$p; stop_server
      [ "$server_status" = 143 ] || [ "$server_status" = 0 ] || died+=" $p:$server_status"
    done
  }
  # Listening, and (cluster) the link up: a line sent on each daemon seen on every daemon.
  if ! "$LOAD" --port "$ports" --wait-ready 5000 --wait-chat 15000 --clients 0 \
         2>>"$work/chat_load-$config.log"; then
    stop_all; echo "FAIL servers not ready"; echo "$config rate=$rate FAIL not ready" >>"$raw"; return
  fi
  # Bounded: setup (20 s at most) + window + drain, with room to spare.
  line=$(timeout 60 $LOAD_PIN "$LOAD" --port "$ports" --clients "$CLIENTS" --senders "$SENDERS" \
           --rate "$rate" --size "$SIZE" --duration "$secs" --drain "$DRAIN" --setup-timeout 20 \
           --cpu-pids "${pids// /,},$redis_pid" 2>>"$work/chat_load-$config.log") || rc=$?
  # A daemon that died under load is the finding, whatever chat_load measured.
  for pid in $pids; do kill -0 "$pid" 2>/dev/null || died+=" $pid"; done
  stop_all
  [ -n "$died" ] && line="FAIL server exited ($died) ${line}"
  [ "$rc" -ne 0 ] && line="FAIL chat_load exit $rc ${line}"
  echo "$config $line" >>"$raw"
  echo "$line"
}

sum2() { awk -v a="$(field "$1" "$3")" -v b="$(field "$2" "$3")" 'BEGIN { print a + b }'; }
# cpu RUN1 RUN2 daemons|redis: mean over the two runs of the daemons' CPU (summed) or Redis's,
# in CPU seconds per second of window (pid_cpu lists the daemons, then Redis).
cpu() {
  local a b
  a=$(field "$1" pid_cpu); b=$(field "$2" pid_cpu)
  [ -n "$a" ] && [ -n "$b" ] || { echo "n/a"; return; }
  awk -v a="$a" -v b="$b" -v what="$3" 'function part(s,   f, n, i, t) {
      n = split(s, f, ","); if (what == "redis") return f[n]
      for (i = 1; i < n; i++) t += f[i]; return t }
    BEGIN { printf "%.2f", (part(a) + part(b)) / 2 }'
}
each_cpu() {  # each_cpu RUN1 RUN2: the daemons one by one ("0.41 + 0.39"), mean of the runs
  local a b
  a=$(field "$1" pid_cpu); b=$(field "$2" pid_cpu)
  [ -n "$a" ] && [ -n "$b" ] || { echo "n/a"; return; }
  awk -v a="$a" -v b="$b" 'BEGIN { n = split(a, x, ","); split(b, y, ",")
      for (i = 1; i < n; i++) printf "%s%.2f", (i > 1 ? " + " : ""), (x[i] + y[i]) / 2 }'
}
check() {  # check RUN1 RUN2: "ok" if nothing was lost, duplicated, reordered or refused
  local r bad=""
  for r in "$1" "$2"; do
    case $r in FAIL*|SKIPPED*|"") bad+=" ${r%% *}"; continue;; esac
    [ "$(field "$r" deliveries)" = "$(field "$r" expected)" ] || bad+=" lost"
    for k in gaps reorders order_mismatches closed malformed refused server_errors; do
      [ "$(field "$r" $k)" = 0 ] || bad+=" $k=$(field "$r" $k)"
    done
  done
  [ -z "$bad" ] && echo "ok" || echo "**${bad# }**"
}
met() {  # met COND: yes/NO
  awk "BEGIN { exit !($1) }" 2>/dev/null && echo "yes" || echo "**no**"
}

half=$(awk -v d="$DURATION" 'BEGIN { print d / 2 }')
rows=""; cpu_rows=""; target_rows=""
for rate in $RATES; do
  s1=$(run_case single "$rate" "$half"); r1=$(run_case redis-1 "$rate" "$half")
  t1=$(run_case redis-2 "$rate" "$half"); t2=$(run_case redis-2 "$rate" "$half")
  r2=$(run_case redis-1 "$rate" "$half"); s2=$(run_case single "$rate" "$half")
  owed=$(awk -v n="$CLIENTS" -v s="$SENDERS" -v r="$rate" 'BEGIN { printf "%.0f", s * r * (n - 1) }')
  sd=$(metric "$s1" "$s2" deliveries_per_s %.0f)
  sp50=$(ms "$s1" "$s2" p50_us); sp99=$(ms "$s1" "$s2" p99_us)
  scpu=$(awk -v a="$(cpu "$s1" "$s2" daemons)" -v b="$(cpu "$s1" "$s2" redis)" 'BEGIN { printf "%.2f", a + b }')
  for config in single redis-1 redis-2; do
    case $config in
      single) a=$s1; b=$s2;; redis-1) a=$r1; b=$r2;; redis-2) a=$t1; b=$t2;;
    esac
    d=$(metric "$a" "$b" deliveries_per_s %.0f)
    p50=$(ms "$a" "$b" p50_us); p99=$(ms "$a" "$b" p99_us); mx=$(ms "$a" "$b" max_us)
    # The ratio of each half: first (s1 with r1 / t1), second (s2 with r2 / t2).
    if [ $config = single ]; then halves="" ; else
      halves=" ($(ratio "$(field "$a" deliveries_per_s)" "$(field "$s1" deliveries_per_s)"), $(ratio "$(field "$b" deliveries_per_s)" "$(field "$s2" deliveries_per_s)"))"
      p99halves=" ($(ratio "$(field "$a" p99_us)" "$(field "$s1" p99_us)"), $(ratio "$(field "$b" p99_us)" "$(field "$s2" p99_us)"))"
    fi
    [ $config = single ] && p99halves=""
    rows+="| $rate | $owed | $config | $(num "$d") | **$(ratio "$d" "$sd")**$halves | $(num "$p50") | $(ratio "$p50" "$sp50") | $(num "$p99") | **$(ratio "$p99" "$sp99")**$p99halves | $(num "$mx") | $(pct "$a" "$b" %.2f) | $(check "$a" "$b") |"$'\n'
    dc=$(cpu "$a" "$b" daemons); rc=$(cpu "$a" "$b" redis)
    tot=$(awk -v a="$dc" -v b="$rc" 'BEGIN { if (a != "n/a" && b != "n/a") printf "%.2f", a + b; else print "n/a" }')
    per=$(awk -v t="$tot" -v d="$d" 'BEGIN { if (t != "n/a" && d > 0) printf "%.1f", t * 1e6 / d; else print "n/a" }')
    cpu_rows+="| $rate | $config | $(each_cpu "$a" "$b") | $rc | $tot | $(ratio "$tot" "$scpu") | $per | $(metric "$a" "$b" load_cpu %.2f) |"$'\n'
    if [ $config != single ]; then
      target_rows+="| $rate | $config | $(met "$(ratio "$d" "$sd") + 0 >= 0.5 && \"$d\" != \"\"") ($(ratio "$d" "$sd")x) | $(met "\"$p99\" != \"\" && $p99 + 0 < 5") ($(num "$p99") ms) | $(check "$a" "$b") |"$'\n'
    fi
  done
  echo "rate $rate: single $(num "$sd")/s p99 $(num "$sp99") ms; redis-1 $(metric "$r1" "$r2" deliveries_per_s %.0f)/s p99 $(ms "$r1" "$r2" p99_us) ms; redis-2 $(metric "$t1" "$t2" deliveries_per_s %.0f)/s p99 $(ms "$t1" "$t2" p99_us) ms" >&2
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
watch_after=$(watch_note)
server_pid=$redis_pid; stop_server

mkdir -p "$(dirname "$OUT")"
{
  echo "# Cluster fan-out benchmark, $(date +%F)"
  echo
  echo "Written by \`bench/run_cluster.sh\` in $(( $(date +%s) - started )) s. $CLIENTS clients in one room, the"
  echo "first $SENDERS of them sending RATE lines/s each ($SIZE bytes of text) on a fixed schedule; every line"
  echo "is owed to the $(( CLIENTS - 1 )) others. Three configurations: **single** (one daemon, no cluster),"
  echo "**redis-1** (one daemon with \`cluster.redis\`), **redis-2** (two daemons on the same Redis, clients"
  echo "and senders split evenly between them). Per row they ran in the order single, redis-1, redis-2,"
  echo "redis-2, redis-1, single, each run $half s; figures are the mean of a configuration's two runs."
  echo "Ratios are to **single** in the same row: above 1 for deliveries/s, below 1 for latency, mean"
  echo "the cluster is better. In brackets, the ratio of each half on its own (first: runs 1-3, second:"
  echo "runs 4-6), which shows how noisy the machine was."
  echo
  echo "- machine: $(nproc) CPUs, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1), Linux $(uname -r)"
  echo "- other work: load average before $load_before, after $load_after; before the run $watch_before, after it $watch_after"
  echo "- build: Release, commit $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown) plus the working tree"
  echo "- pinning: $( [ -n "$SERVER_PIN" ] && echo "daemons on CPU 0 (all their threads), redis-server on CPU $REDIS_CPU, chat_load on CPU 1" || echo none, single CPU); each daemon \`threads: 2\`, chat limits raised (see run_chat.sh)"
  echo "- redis: $("$REDIS_SERVER" --version | cut -d' ' -f3), \`--save '' --appendonly no\`, one for the whole run, a fresh \`cluster.prefix\` per run"
  echo
  echo "## Deliveries per second and delivery latency"
  echo
  echo "| lines/s per sender | owed deliveries/s | config | deliveries/s | ratio | p50 ms | p50 ratio | p99 ms | p99 ratio | max ms | delivered | loss, order |"
  echo "|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"
  printf '%s' "$rows"
  echo
  echo "\"delivered\" is the share of owed deliveries that arrived by the end of the window plus up to"
  echo "$DRAIN s of drain; deliveries/s counts only those inside the window. \"loss, order\": ok when in"
  echo "both runs every owed line arrived, each sender's lines in order and without holes, every receiver"
  echo "saw the lines in one order (\`order_mismatches\`, own lines included), nothing was refused and"
  echo "no connection closed."
  echo
  echo "## CPU over the window"
  echo
  echo "CPU seconds per second of window (1.00 = one core busy), utime + stime of all threads from"
  echo "/proc/PID/stat, mean of the two runs. The single daemon's row shows Redis idle."
  echo
  echo "| lines/s per sender | config | daemon CPU | Redis CPU | daemons + Redis | ratio | CPU µs per delivery | chat_load CPU |"
  echo "|---:|---|---:|---:|---:|---:|---:|---:|"
  printf '%s' "$cpu_rows"
  echo
  echo "## Targets"
  echo
  echo "Through Redis: deliveries/s at least 0.5x the single daemon's, p99 under 5 ms at that load,"
  echo "zero loss and one order."
  echo
  echo "| lines/s per sender | config | ≥ 0.5x deliveries/s | p99 < 5 ms | zero loss, one order |"
  echo "|---:|---|---|---|---|"
  printf '%s' "$target_rows"
  echo
  echo "## Raw chat_load lines"
  echo
  echo "\`pid_cpu\`: each daemon, then Redis."
  echo
  echo '```'
  cat "$raw"
  echo '```'
  # Anything a daemon said at warn level or above, and what chat_load said on stderr.
  for log in "$work"/*.log; do
    [ -s "$log" ] || continue
    echo
    echo "### $(basename "$log" .log): stderr ($(wc -l <"$log") lines, first 40 shown)"
    echo
    echo '```'
    head -40 "$log"
    echo '```'
  done
} >"$OUT"
echo "wrote $OUT" >&2
