#!/usr/bin/env bash
# bench/run_chat.sh: sockchatd's chat fan-out against the socket tutorial's thread-per-client
# chat server (bench/peers/tutorial_chat_server.py), same load, same session, one results table.
#
# Load (chat_load): N clients in one room; every client sends RATE lines per second on a fixed
# schedule (open loop) and every line must reach the N-1 others, so the server owes
# N * (N-1) * RATE deliveries per second: 450/s at N=10, 12 250/s at 50, 199 000/s at 200 with
# RATE=5. Measured: deliveries per second during the window, how many of those owed arrived at
# all, and the latency from send to delivery.
#
# sockchatd runs threads: 2, so that #lobby can have members on both workers and messages take
# the cross-worker path (hub -> each worker's queue) that a real deployment takes; it is pinned
# to CPU 0 like the peer all the same, so each server has one core (the tutorial server's
# threads share one GIL anyway) and chat_load has the other. Which worker accepts is up to the
# kernel's EPOLLEXCLUSIVE wake-ups: with 10 clients all may land on one. Its chat limits are raised
# (messages_per_second 10000, burst 100000, per-IP connections 10000): RATE=5 is within the
# default 5/s, but on a loaded machine chat_load's lines bunch up and a default bucket would
# answer "! slow down" to some of them, measuring the rate limiter instead of the fan-out.
#
# Every run starts a fresh server; each row runs sockchatd, peer, peer, sockchatd (ABBA), each
# half of DURATION, so a drift in background load cancels out of the ratio.
#
# Knobs (environment): DURATION=6 CLIENTS="10 50 200" RATE=5 SIZE=64 DRAIN=3
#   BUILD_DIR=<root>/build-bench OUT=<file> PYTHON=python3
#   WATCH=<pgrep -f pattern>: other work to look for before and after, noted in the results
set -euo pipefail
started=$(date +%s)

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
BUILD_DIR=${BUILD_DIR:-$root/build-bench}
DURATION=${DURATION:-6}
CLIENTS=${CLIENTS:-"10 50 200"}
RATE=${RATE:-5}
SIZE=${SIZE:-64}
DRAIN=${DRAIN:-3}
PYTHON=${PYTHON:-python3}
WATCH=${WATCH:-}
OUT=${OUT:-$here/results/$(date +%F)-chat.md}
BUDGET_S=150  # with an up-to-date build the run stays under 3 min: later cases are skipped

# shellcheck source=bench/lib.sh
. "$here/lib.sh"
bench_init  # tools, PYTHON, SERVER_PIN / LOAD_PIN, $work, traps

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
watch_before=$(watch_note)

build_bench sockchatd chat_load
SOCKCHATD=$BUILD_DIR/daemon/sockchatd
LOAD=$BUILD_DIR/bench/chat_load

# start_server NAME PORT: starts it in the background, pinned, in its own session.
start_server() {
  local name=$1 port=$2
  case $name in
    sockchatd)
      # Only chat; the admin socket off (it would want /run/sockchatd); history left at its
      # default (chat_load tags its lines per run and ignores replays).
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
      launch "$name" "$SOCKCHATD" -c "$work/$name.yaml";;
    tutorial-chat-py)
      launch "$name" "$PYTHON" "$here/peers/tutorial_chat_server.py" --port "$port";;
  esac
}

raw=$work/raw.txt
: >"$raw"
# run_case NAME CLIENTS SECS -> prints chat_load's line (or FAIL ...), logs it to raw.
run_case() {
  local name=$1 clients=$2 secs=$3 port line rc=0
  if [ $(( $(date +%s) - started )) -gt $BUDGET_S ]; then echo "SKIPPED (time budget)"; return; fi
  port=$(free_port)
  start_server "$name" "$port"
  if ! "$LOAD" --port "$port" --wait-ready 5000 --clients 0 2>>"$work/$name.log"; then
    stop_server; echo "FAIL server not ready"; echo "$name FAIL not ready" >>"$raw"; return
  fi
  # Bounded: setup (20 s at most) + window + drain, with room to spare.
  line=$(timeout 45 $LOAD_PIN "$LOAD" --port "$port" --clients "$clients" --rate "$RATE" \
           --size "$SIZE" --duration "$secs" --drain "$DRAIN" --setup-timeout 20 \
           2>>"$work/$name.log") || rc=$?
  # A server that died under load is the finding, whatever chat_load measured.
  local died=0
  kill -0 "$server_pid" 2>/dev/null || died=1
  stop_server
  [ $died = 1 ] && line="FAIL server exited (status $server_status) ${line}"
  [ "$rc" -ne 0 ] && line="FAIL chat_load exit $rc ${line}"
  echo "$name $line" >>"$raw"
  echo "$line"
}

lat() { echo "$(num "$(ms "$1" "$2" p50_us)") / $(num "$(ms "$1" "$2" p99_us)") / $(num "$(ms "$1" "$2" max_us)")"; }

ours=sockchatd; peer=tutorial-chat-py
half=$(awk -v d="$DURATION" 'BEGIN { print d / 2 }')
rows=""
for n in $CLIENTS; do
  a1=$(run_case $ours "$n" "$half"); b1=$(run_case $peer "$n" "$half")
  b2=$(run_case $peer "$n" "$half"); a2=$(run_case $ours "$n" "$half")
  va=$(metric "$a1" "$a2" deliveries_per_s %.0f); vb=$(metric "$b1" "$b2" deliveries_per_s %.0f)
  spread="($(ratio "$(field "$a1" deliveries_per_s)" "$(field "$b1" deliveries_per_s)"), $(ratio "$(field "$a2" deliveries_per_s)" "$(field "$b2" deliveries_per_s)"))"
  p99a=$(ms "$a1" "$a2" p99_us); p99b=$(ms "$b1" "$b2" p99_us)
  p50ratio=$(ratio "$(ms "$a1" "$a2" p50_us)" "$(ms "$b1" "$b2" p50_us)")
  offered=$(awk -v n="$n" -v r="$RATE" 'BEGIN { printf "%.0f", n * (n - 1) * r }')
  echo "$n clients: deliveries/s $ours=$(num "$va") $peer=$(num "$vb") ratio $(ratio "$va" "$vb") $spread, p99 ms $(num "$p99a") vs $(num "$p99b")" >&2
  rows+="| $n | $offered | $(num "$va") | $(num "$vb") | **$(ratio "$va" "$vb")** $spread |"
  rows+=" $(lat "$a1" "$a2") | $(lat "$b1" "$b2") | $p50ratio | **$(ratio "$p99a" "$p99b")** | $(pct "$a1" "$a2") / $(pct "$b1" "$b2") |"$'\n'
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
watch_after=$(watch_note)

mkdir -p "$(dirname "$OUT")"
{
  echo "# Chat fan-out benchmark, $(date +%F)"
  echo
  echo "Written by \`bench/run_chat.sh\` in $(( $(date +%s) - started )) s. N clients in one room, each"
  echo "sending $RATE lines/s ($SIZE bytes of text) on a fixed schedule; every line is owed to the N-1"
  echo "others. Each server ran twice per row, in the order sockchatd, peer, peer, sockchatd, each run"
  echo "$half s; figures are the mean of its two runs. Ratios are sockchatd / peer: above 1 for"
  echo "deliveries/s, below 1 for latency, mean sockchatd is better. In brackets, the deliveries/s"
  echo "ratios of the two adjacent pairs of runs (the machine's noise at that moment)."
  echo
  echo "- machine: $(nproc) CPUs, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1), Linux $(uname -r)"
  echo "- other work: load average before $load_before, after $load_after; before the run $watch_before, after it $watch_after"
  echo "- build: Release, commit $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown) plus the working tree"
  echo "- pinning: $( [ -n "$SERVER_PIN" ] && echo "server on CPU 0 (all its threads), chat_load on CPU 1" || echo none, single CPU); sockchatd \`threads: 2\`, chat limits raised (see run_chat.sh)"
  echo "- peer: $("$PYTHON" --version 2>&1) running bench/peers/tutorial_chat_server.py"
  echo
  echo "## Fan-out: deliveries per second and delivery latency"
  echo
  echo "| clients | owed deliveries/s | sockchatd deliveries/s | peer deliveries/s | ratio (run pairs) | sockchatd p50 / p99 / max ms | peer p50 / p99 / max ms | p50 ratio | p99 ratio | delivered: sockchatd / peer |"
  echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  printf '%s' "$rows"
  echo
  echo "\"delivered\" is the share of owed deliveries that arrived by the end of the window plus up to"
  echo "$DRAIN s of drain; deliveries/s counts only those inside the window, so a server that falls"
  echo "behind shows there first, its latency growing with the length of the window."
  echo
  echo "## Raw chat_load lines"
  echo
  echo '```'
  cat "$raw"
  echo '```'
  # Anything a server said at warn level or above (sockchatd) or on stderr (the peer) is
  # evidence; the peer prints a traceback per reset connection, so only its first lines are kept.
  for log in "$work"/*.log; do
    [ -s "$log" ] || continue
    name=$(basename "$log" .log); keep=5
    [ "$name" = sockchatd ] && keep=40
    echo
    echo "### $name: stderr ($(wc -l <"$log") lines, first $keep shown)"
    echo
    echo '```'
    head -$keep "$log"
    echo '```'
  done
} >"$OUT"
echo "wrote $OUT" >&2
