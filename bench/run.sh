#!/usr/bin/env bash
# bench/run.sh: sockchatd against its peers, same load, same session, one results table.
#
# Machines here are noisy (shared cores, other builds running), so absolute figures mean little;
# what is reported is each figure next to the peer's, measured seconds apart, and their ratio.
# Pairs that answer byte-for-byte the same:
#   sockchatd (echo prefix "hello ")  vs  the tutorial's Python thread-per-client server
#   sockchatd (echo prefix "", RFC 862) vs  socat, fork per connection, PIPE echo
# Every run starts a fresh server, so no run inherits another's dying connections. The order is
# ABBA (see below) so that the machine's drift cancels out of the ratios.
#
# Knobs (environment): DURATION=5 CONNS="1 50 500" SIZE=64 STREAM_DURATION=3
#   STREAM_CONNS="1 50" STREAM_SIZE=16384 BUILD_DIR=<root>/build-bench OUT=<file> PYTHON=python3
set -euo pipefail
started=$(date +%s)

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
BUILD_DIR=${BUILD_DIR:-$root/build-bench}
DURATION=${DURATION:-5}
CONNS=${CONNS:-"1 50 500"}
SIZE=${SIZE:-64}
STREAM_DURATION=${STREAM_DURATION:-3}
STREAM_CONNS=${STREAM_CONNS:-"1 50"}
STREAM_SIZE=${STREAM_SIZE:-16384}
PYTHON=${PYTHON:-python3}
OUT=${OUT:-$here/results/$(date +%F).md}
BUDGET_S=160  # with an up-to-date build the run stays under 3 min: later cases are skipped, not rushed

# shellcheck source=bench/lib.sh
. "$here/lib.sh"
bench_init  # tools, PYTHON, SERVER_PIN / LOAD_PIN, $work, traps
have_socat=1
command -v socat >/dev/null || { have_socat=0; echo "run.sh: socat missing (apt-get install socat): its rows are skipped" >&2; }

build_bench sockchatd echo_load
SOCKCHATD=$BUILD_DIR/daemon/sockchatd
LOAD=$BUILD_DIR/bench/echo_load

# Pinning (lib.sh): the server on CPU 0, echo_load on CPU 1; sockchatd runs threads: 1 so that
# every server has exactly one core. The server's own session holds what it forks (socat's
# children), so stop_server ends all of it.

# start_server NAME PORT: starts it in the background, pinned, in its own session.
start_server() {
  local name=$1 port=$2
  case $name in
    sockchatd-hello|sockchatd-rfc862)
      local prefix='"hello "'; [ "$name" = sockchatd-rfc862 ] && prefix='""'
      cat >"$work/$name.yaml" <<EOF
listen: [{service: echo, address: "127.0.0.1:$port"}]
threads: 1
echo: {prefix: $prefix}
limits: {max_connections_per_ip: 10000, max_connections: 10000}
logging: {level: warn}
EOF
      launch "$name" "$SOCKCHATD" -c "$work/$name.yaml";;
    tutorial-py) launch "$name" "$PYTHON" "$here/peers/tutorial_server.py" "$port";;
    socat) launch "$name" "$here/peers/socat_echo.sh" "$port";;
  esac
}

prefix_len() { case $1 in sockchatd-hello|tutorial-py) echo 6;; *) echo 0;; esac; }

raw=$work/raw.txt
: >"$raw"
# run_case NAME MODE CONNS SIZE SECS -> prints echo_load's line (or FAIL ...), logs it to raw.
run_case() {
  local name=$1 mode=$2 conns=$3 size=$4 secs=$5 port line rc=0
  if [ $(( $(date +%s) - started )) -gt $BUDGET_S ]; then echo "SKIPPED (time budget)"; return; fi
  port=$(free_port)
  start_server "$name" "$port"
  if ! "$LOAD" --port "$port" --wait-ready 5000 --connections 0 2>>"$work/$name.log"; then
    stop_server; echo "FAIL server not ready"; echo "$name FAIL not ready" >>"$raw"; return
  fi
  line=$(timeout 40 $LOAD_PIN "$LOAD" --port "$port" --mode "$mode" --connections "$conns" \
           --size "$size" --duration "$secs" --prefix-len "$(prefix_len "$name")" \
           2>>"$work/$name.log") || rc=$?
  # A server that died under load is the finding, whatever echo_load measured.
  local died=0
  kill -0 "$server_pid" 2>/dev/null || died=1
  stop_server
  [ $died = 1 ] && line="FAIL server exited (status $server_status) ${line}"
  [ "$rc" -ne 0 ] && line="FAIL echo_load exit $rc ${line}"
  echo "$name $line" >>"$raw"
  echo "$line"
}

pairs="sockchatd-hello:tutorial-py sockchatd-rfc862:socat"
pp_rows=""; st_rows=""
for pair in $pairs; do
  ours=${pair%%:*}; peer=${pair##*:}
  if [ "$peer" = socat ] && [ $have_socat = 0 ]; then continue; fi
  for mode in pingpong stream; do
    if [ $mode = pingpong ]; then list=$CONNS; size=$SIZE; secs=$DURATION; key=rps; fmt=%.0f
    else list=$STREAM_CONNS; size=$STREAM_SIZE; secs=$STREAM_DURATION; key=rx_mib_s; fmt=%.1f; fi
    half=$(awk -v d="$secs" 'BEGIN { print d / 2 }')
    for c in $list; do
      # ABBA, each run half the time: a drift in background load between the first and the
      # last run favours neither side, and the two adjacent pairs' ratios show how noisy it was.
      a1=$(run_case $ours $mode $c $size $half); b1=$(run_case $peer $mode $c $size $half)
      b2=$(run_case $peer $mode $c $size $half); a2=$(run_case $ours $mode $c $size $half)
      va=$(metric "$a1" "$a2" $key $fmt); vb=$(metric "$b1" "$b2" $key $fmt)
      spread="($(ratio "$(field "$a1" $key)" "$(field "$b1" $key)"), $(ratio "$(field "$a2" $key)" "$(field "$b2" $key)"))"
      echo "$mode $c conns: $ours $key=$(num "$va"), $peer $key=$(num "$vb"), ratio $(ratio "$va" "$vb") $spread" >&2
      row="| $ours / $peer | $c | $(num "$va") | $(num "$vb") | **$(ratio "$va" "$vb")** $spread |"
      if [ $mode = pingpong ]; then
        p99a=$(metric "$a1" "$a2" p99_us %.0f); p99b=$(metric "$b1" "$b2" p99_us %.0f)
        row+=" $(num "$(metric "$a1" "$a2" p50_us %.0f)") / $(num "$p99a") |"
        row+=" $(num "$(metric "$b1" "$b2" p50_us %.0f)") / $(num "$p99b") | $(ratio "$p99a" "$p99b") |"
        pp_rows+="$row"$'\n'
      else
        st_rows+="$row"$'\n'
      fi
    done
  done
done

mkdir -p "$(dirname "$OUT")"
{
  echo "# Echo benchmark, $(date +%F)"
  echo
  echo "Written by \`bench/run.sh\` in $(( $(date +%s) - started )) s. Each server ran twice per row, in"
  echo "the order sockchatd, peer, peer, sockchatd, each run half the time shown; figures are the"
  echo "mean of its two runs. Ratios are sockchatd / peer: for req/s and MiB/s above 1 means"
  echo "sockchatd is faster, for p99 below 1 means it answers sooner. In brackets, the ratios of"
  echo "the two adjacent pairs of runs: their spread is the noise of this machine at that moment."
  echo
  echo "- machine: $(nproc) CPUs, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1), Linux $(uname -r), load average before: $(cut -d' ' -f1-3 /proc/loadavg) (other work shares this machine)"
  echo "- build: Release (-O3), commit $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown) plus the working tree"
  echo "- pinning: $( [ -n "$SERVER_PIN" ] && echo "server on CPU 0 (all its threads and processes), echo_load on CPU 1" || echo none, single CPU); sockchatd \`threads: 1\`"
  echo "- peers: $("$PYTHON" --version 2>&1) running bench/peers/tutorial_server.py; $( [ $have_socat = 1 ] && socat -V 2>/dev/null | sed -n 's/^socat version \([^ ]*\).*/socat \1/p' || echo socat not installed)"
  echo
  echo "## Ping-pong: $SIZE-byte requests, $DURATION s per server, closed loop (one request in flight per connection)"
  echo
  echo "| sockchatd / peer | conns | sockchatd req/s | peer req/s | req/s ratio (run pairs) | sockchatd p50 / p99 µs | peer p50 / p99 µs | p99 ratio |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|"
  printf '%s' "$pp_rows"
  echo
  echo "## Stream: $STREAM_SIZE-byte writes as fast as the socket takes them, $STREAM_DURATION s per server, MiB/s echoed back"
  echo
  echo "| sockchatd / peer | conns | sockchatd MiB/s | peer MiB/s | ratio (run pairs) |"
  echo "|---|---:|---:|---:|---:|"
  printf '%s' "$st_rows"
  echo
  echo "## Raw echo_load lines"
  echo
  echo '```'
  cat "$raw"
  echo '```'
  # Anything a server said at warn level or above (sockchatd) or on stderr (peers) is evidence.
  # Peers print a line or a traceback for each connection reset (echo_load resets those still
  # busy after its 1 s drain: unclosed= above), so only their first lines are kept.
  for log in "$work"/*.log; do
    [ -s "$log" ] || continue
    name=$(basename "$log" .log); keep=5
    case $name in sockchatd-*) keep=40;; esac
    echo
    echo "### $name: stderr ($(wc -l <"$log") lines, first $keep shown)"
    echo
    echo '```'
    head -$keep "$log"
    echo '```'
  done
} >"$OUT"
echo "wrote $OUT" >&2
