#!/usr/bin/env bash
# bench/run_tls.sh: sockchatd's TLS listener against TLS echo peers, same load, same session, one
# results table (issue 14). run.sh's method over TLS:
#   sockchatd (threads: 1, echo prefix "", tls:)  vs  socat OPENSSL-LISTEN, fork per connection
#   sockchatd                                     vs  nginx stream (ssl) + a plain echo backend
# Rows: ping-pong round trips/s (SIZE-byte requests, warm sessions) at CONNS connections, and
# full handshakes/s (connect, handshake, one 16-byte round trip, close) with HS_CONNS loops.
# Every run starts a fresh server; each pair runs ABBA, each run half of DURATION.
#
# Knobs (environment): DURATION=5 CONNS="1 50 500" SIZE=16 HS_CONNS=50 PEERS="socat nginx"
#   BUILD_DIR=<root>/build-bench OUT=<file> PYTHON=python3
set -euo pipefail
started=$(date +%s)

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
BUILD_DIR=${BUILD_DIR:-$root/build-bench}
DURATION=${DURATION:-5}
CONNS=${CONNS-"1 50 500"}  # set but empty: no ping-pong rows
SIZE=${SIZE:-16}
HS_CONNS=${HS_CONNS-50}  # set but empty: no handshake row
PEERS=${PEERS:-"socat nginx"}
PYTHON=${PYTHON:-python3}
OUT=${OUT:-$here/results/$(date +%F)-tls.md}
BUDGET_S=270  # the whole run stays under ~5 min: later cases are skipped, not rushed
NGINX_STREAM_MODULE=${NGINX_STREAM_MODULE:-/usr/lib/nginx/modules/ngx_stream_module.so}
export NGINX_STREAM_MODULE

# shellcheck source=bench/lib.sh
. "$here/lib.sh"
bench_init  # tools, PYTHON, SERVER_PIN / LOAD_PIN, $work, traps
command -v openssl >/dev/null || { echo "run_tls.sh: openssl (the CLI) not found" >&2; exit 1; }
peers=""
for peer in $PEERS; do
  case $peer in
    socat) command -v socat >/dev/null && peers+=" socat" ||
      echo "run_tls.sh: socat missing (apt-get install socat): its rows are skipped" >&2;;
    nginx) if command -v nginx >/dev/null && [ -f "$NGINX_STREAM_MODULE" ]; then peers+=" nginx"
      else echo "run_tls.sh: nginx or its stream module missing (apt-get install nginx-light libnginx-mod-stream): its rows are skipped" >&2; fi;;
    *) echo "run_tls.sh: unknown peer $peer" >&2; exit 2;;
  esac
done
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

# Two cores, one of them someone else's build's: at most two compile jobs.
export CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-2}
build_bench sockchatd tls_load
SOCKCHATD=$BUILD_DIR/daemon/sockchatd
LOAD=$BUILD_DIR/bench/tls_load

# One certificate for every server: EC P-256, self-signed for IP 127.0.0.1, and its own CA for
# tls_load --cacert (the IP SAN is what the client checks). sockchatd refuses a key others can read.
tls_cert=$work/cert.pem tls_key=$work/key.pem
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
  -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
  -keyout "$tls_key" -out "$tls_cert" 2>/dev/null
chmod 600 "$tls_key"

# start_server NAME PORT: starts it in the background, pinned to CPU 0 (lib.sh), in its own
# session, which holds what it forks (socat's children; nginx's worker and its backend).
start_server() {
  local name=$1 port=$2
  case $name in
    sockchatd)
      cat >"$work/$name.yaml" <<EOF
listen: [{service: echo, address: "127.0.0.1:$port", tls: {certificate: $tls_cert, key: $tls_key}}]
threads: 1
echo: {prefix: ""}
limits: {max_connections_per_ip: 10000, max_connections: 10000}
admin: {socket: ""}
logging: {level: warn}
EOF
      launch "$name" "$SOCKCHATD" -c "$work/$name.yaml";;
    socat) launch "$name" "$here/peers/socat_tls_echo.sh" "$port" "$tls_cert" "$tls_key";;
    nginx) launch "$name" "$here/peers/nginx_tls_echo.sh" "$port" "$(free_port)" "$tls_cert" "$tls_key" \
             "$SOCKCHATD" "$work/nginx-$port";;
  esac
}

raw=$work/raw.txt
: >"$raw"
# run_case NAME MODE CONNS SECS -> prints tls_load's line (or FAIL ...), logs it to raw.
run_case() {
  local name=$1 mode=$2 conns=$3 secs=$4 port line rc=0
  if [ $(( $(date +%s) - started )) -gt $BUDGET_S ]; then echo "SKIPPED (time budget)"; return; fi
  port=$(free_port)
  start_server "$name" "$port"
  if ! "$LOAD" --port "$port" --wait-ready 5000 --connections 0 2>>"$work/$name.log"; then
    stop_server; echo "FAIL server not ready"; echo "$name FAIL not ready" >>"$raw"; return
  fi
  line=$(timeout 40 $LOAD_PIN "$LOAD" --port "$port" --cacert "$tls_cert" --mode "$mode" \
           --connections "$conns" --size "$SIZE" --duration "$secs" 2>>"$work/$name.log") || rc=$?
  # A server that died under load is the finding, whatever tls_load measured.
  local died=0
  kill -0 "$server_pid" 2>/dev/null || died=1
  stop_server
  [ $died = 1 ] && line="FAIL server exited (status $server_status) ${line}"
  [ "$rc" -ne 0 ] && line="FAIL tls_load exit $rc ${line}"
  echo "$name $line" >>"$raw"
  echo "$line"
}

half=$(awk -v d="$DURATION" 'BEGIN { print d / 2 }')
rows=""    # one per pair and case
best=""    # one per case: sockchatd against the best peer of that case
cases=""
for c in $CONNS; do cases+=" pingpong:$c"; done
for c in $HS_CONNS; do cases+=" handshake:$c"; done
for cs in $cases; do
  mode=${cs%%:*}; c=${cs##*:}
  key=rps; [ "$mode" = handshake ] && key=hps
  best_peer=""; best_vb=""; best_va=""
  for peer in $peers; do
    # ABBA, each run half the time: a drift in background load between the first and the last
    # run favours neither side, and the two adjacent pairs' ratios show how noisy it was.
    a1=$(run_case sockchatd "$mode" "$c" "$half"); b1=$(run_case "$peer" "$mode" "$c" "$half")
    b2=$(run_case "$peer" "$mode" "$c" "$half"); a2=$(run_case sockchatd "$mode" "$c" "$half")
    va=$(metric "$a1" "$a2" $key %.0f); vb=$(metric "$b1" "$b2" $key %.0f)
    spread="($(ratio "$(field "$a1" $key)" "$(field "$b1" $key)"), $(ratio "$(field "$a2" $key)" "$(field "$b2" $key)"))"
    echo "$mode $c: sockchatd $key=$(num "$va"), $peer $key=$(num "$vb"), ratio $(ratio "$va" "$vb") $spread" >&2
    p99a=$(metric "$a1" "$a2" p99_us %.0f); p99b=$(metric "$b1" "$b2" p99_us %.0f)
    rows+="| $mode | $c | sockchatd / $peer | $(num "$va") | $(num "$vb") | **$(ratio "$va" "$vb")** $spread |"
    rows+=" $(num "$(metric "$a1" "$a2" p50_us %.0f)") / $(num "$p99a") |"
    rows+=" $(num "$(metric "$b1" "$b2" p50_us %.0f)") / $(num "$p99b") | $(ratio "$p99a" "$p99b") |"
    rows+=" $(num "$(metric "$a1" "$a2" load_cpu %.2f)") / $(num "$(metric "$b1" "$b2" load_cpu %.2f)") |"$'\n'
    if [ -n "$vb" ] && { [ -z "$best_vb" ] || awk -v a="$vb" -v b="$best_vb" 'BEGIN { exit !(a > b) }'; }; then
      best_peer=$peer; best_vb=$vb; best_va=$va
    fi
  done
  [ -n "$best_peer" ] && best+="| $mode | $c | $best_peer | **$(ratio "$best_va" "$best_vb")** |"$'\n'
done

load_after=$(cut -d' ' -f1-3 /proc/loadavg)
mkdir -p "$(dirname "$OUT")"
{
  echo "# TLS echo benchmark, $(date +%F)"
  echo
  echo "Written by \`bench/run_tls.sh\` in $(( $(date +%s) - started )) s. For each case and peer the"
  echo "servers ran in the order sockchatd, peer, peer, sockchatd, each run $half s; figures are the mean"
  echo "of a server's two runs. Ratios are sockchatd / peer: for round trips/s and handshakes/s above"
  echo "1 means sockchatd is faster, for p99 below 1 means it answers sooner. In brackets, the ratios"
  echo "of the two adjacent pairs of runs: their spread is the noise of this machine at that moment."
  echo
  echo "- machine: $(nproc) CPUs, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1), Linux $(uname -r), load average before: $load_before, after: $load_after (other work shares this machine)"
  echo "- build: Release (-O3), commit $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown) plus the working tree"
  echo "- pinning: $( [ -n "$SERVER_PIN" ] && echo "server on CPU 0 (all its threads and processes: socat's children, nginx's master, worker and its echo backend), tls_load on CPU 1" || echo none, single CPU); sockchatd \`threads: 1\`"
  echo "- TLS: $(openssl version); one EC P-256 self-signed certificate for IP 127.0.0.1, verified by tls_load as its own CA; negotiated $(grep -o 'tls=[^ ]* cipher=[^ ]* group=[^ ]*' "$raw" | sort | uniq -c | sed 's/^ *//' | paste -sd';' -) (count of runs); every handshake full (\`resumed=\` in the raw lines)"
  echo "- peers: $(socat -V 2>/dev/null | sed -n 's/^socat version \([^ ]*\).*/socat \1/p') via bench/peers/socat_tls_echo.sh; $(nginx -v 2>&1 | sed 's/^nginx version: //') stream module via bench/peers/nginx_tls_echo.sh, **a proxy hop**: nginx (\`worker_processes 1\`) terminates TLS and proxies each connection to sockchatd's plain echo (\`threads: 1\`), both on CPU 0"
  echo
  echo "## Results: ping-pong ($SIZE-byte requests, round trips/s) and handshake loops (handshakes/s)"
  echo
  echo "| case | conns | pair | sockchatd /s | peer /s | ratio (run pairs) | sockchatd p50 / p99 µs | peer p50 / p99 µs | p99 ratio | tls_load CPU (ours / peer's runs) |"
  echo "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|"
  printf '%s' "$rows"
  echo
  echo "Against the best peer of each case (the target of issue 14: ≥ 1):"
  echo
  echo "| case | conns | best peer | sockchatd / best peer |"
  echo "|---|---:|---|---:|"
  printf '%s' "$best"
  echo
  echo "## Raw tls_load lines"
  echo
  echo '```'
  cat "$raw"
  echo '```'
  # Anything a server said at warn level or above (sockchatd) or on stderr (peers) is evidence.
  # socat prints a line for each connection reset, so only the first lines are kept.
  for log in "$work"/*.log; do
    [ -s "$log" ] || continue
    name=$(basename "$log" .log); keep=10
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
