#!/usr/bin/env bash
# bench/run_hub.sh: the chat hub alone (bench/hub_bench.cc: LocalChatBackend on N threads that
# play workers, no sockets) at 1, 2, 4, 8 threads, each thread publishing into a room of its own
# ("own") or all into one room ("one"), with the hub's own locks ("hub") and with one daemon-wide
# mutex around every publish ("global": the hub as it was before per-room locks), same binary, runs
# side by side. Reports deliveries/s, the ratio hub/global, and the lock waits (count and wait
# time per second of run, mutrace's figures, from the locks' own counters).
#
# On a machine with fewer cores than threads the extra threads only share the cores: what scales
# there is the absence of waiting, not the throughput. About 20 s.
#
# Knobs (environment): SECONDS_PER_RUN=1 THREADS="1 2 4 8" BUILD_DIR=<root>/build-bench OUT=<file>
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
BUILD_DIR=${BUILD_DIR:-$root/build-bench}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-1}
THREADS=${THREADS:-"1 2 4 8"}
OUT=${OUT:-$here/results/$(date +%F)-hub.md}
started=$(date +%s)
# shellcheck source=bench/lib.sh
. "$here/lib.sh"
build_bench hub_bench
HUB=$BUILD_DIR/bench/hub_bench

raw=$(mktemp)
trap 'rm -f "$raw"' EXIT
for rooms in own one; do
  for t in $THREADS; do
    for lock in hub global; do
      flag=(); [ "$lock" = global ] && flag=(--global-lock)
      "$HUB" --threads "$t" --rooms "$rooms" --seconds "$SECONDS_PER_RUN" "${flag[@]}" | tee -a "$raw" >&2
    done
  done
done

get() { grep -E "threads=$1 rooms=$2 lock=$3 " "$raw" | tr ' ' '\n' | sed -n "s/^$4=//p"; }
{
  echo "# Chat hub alone: $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(commit_id)"
  echo
  echo "$(machine); load average $(loadavg). bench/run_hub.sh, $SECONDS_PER_RUN s per run."
  echo "Every room has a member on every thread, so each message is delivered to every thread."
  echo
  echo "| rooms | threads | deliveries/s hub | deliveries/s global | hub / global | lock wait ms per s: hub (directory + room) | global |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
  for rooms in own one; do
    for t in $THREADS; do
      h=$(get "$t" "$rooms" hub delivered_per_s); g=$(get "$t" "$rooms" global delivered_per_s)
      hw=$(get "$t" "$rooms" hub wait_ms_per_s); gw=$(get "$t" "$rooms" global wait_ms_per_s)
      echo "| $rooms | $t | $h | $g | $(ratio "$h" "$g") | $hw | $gw |"
    done
  done
  echo
  echo "Raw lines:"
  echo
  echo '```'
  cat "$raw"
  echo '```'
} >"$OUT"
echo "run_hub.sh: $OUT ($(elapsed) s)" >&2
