#!/usr/bin/env bash
# Mutation check, run by hand (not in CI: it builds the daemon once per mutant). Each mutant is a
# one-line change to the daemon that breaks a promise of README, sockchatd(8) or PROTOCOL.md,
# with the tests (a ctest -R regex) that must catch it. For each: a scratch copy of this tree
# (working tree, uncommitted changes included) in /tmp gets the change, is built, the named
# tests run; a mutant whose tests all pass SURVIVED, and the script exits 1.
#
#   tests/mutants.sh              all mutants
#   tests/mutants.sh NAME...      only these (names below)
#   KEEP=1 tests/mutants.sh ...   keep the scratch copy (its path is printed)
#
# The scratch build is the default preset (ccache if installed); nice'd, as the machine is shared.
#
# Last checked (issue 16, each mutant built into the daemon and its tests run): all caught.
# The five of the issue's table by Reload.AppliesTheLogLevelAtOnce and
# Lifecycle.ReloadKeepsTheLogFormat... (level), ReloadLimits.* (limits), ChatReload.* (chat
# settings), Metrics.RefusedTotalCountsEachRefusal (refused total), Chat.NickCase... and
# Chat.QuitSaysByeAndLeaves (nick release); the rest by the test their regex names. The two
# *-spins-out-of-fds are caught by expectPausedNotSpinning: the workers' spin by its CPU bound
# (960 ms against 150), the metrics endpoint's by its report count (368 against 4).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)

# NAME | FILE | SED EXPRESSION (one line changed; no '|' in it) | CTEST -R REGEX
mutants=$(cat <<'EOF'
level-not-reloaded|daemon/server.cc|s/logger_.setLevel(\*level);/(void)level;/|^Reload\.AppliesTheLogLevelAtOnce$|^Lifecycle\.ReloadKeepsTheLogFormat
limits-not-reloaded|daemon/server.cc|/limiter_.setLimits(next.limits/d|^ReloadLimits\.
total-limit-not-reloaded|daemon/connection_limiter.cc|s/maxTotal_ = maxTotal;/(void)maxTotal;/|^ReloadLimits\.LoweringTheTotalLimit
chat-settings-not-reloaded|daemon/worker.cc|s/chat_.applySettings(settings_.chat);//|^ChatReload\.
motd-not-reloaded|daemon/chat/chat_service.cc|s/^    settings_ = std::move(settings);/    (void)settings;/|^ChatReload\.NewcomersGetTheNewMotd$
line-limit-not-reloaded|daemon/chat/chat_service.cc|/s->splitter.setMaxLineBytes(settings_.maxLineBytes);/d|^ChatReload\.TheLineLimit
rate-not-reloaded|daemon/chat/chat_service.cc|/s->bucket.reconfigure(settings_.messagesPerSecond, settings_.burst);/d|^ChatReload\.TheMessageRate
refused-not-counted|daemon/worker.cc|/++shared_.refusedTotal;/d|^Metrics\.RefusedTotal
nick-not-released|daemon/chat/chat_hub.cc|s/nicks_.erase(foldCase(nick));/(void)nick;/|^Chat\.(NickCase|QuitSaysBye)
threads-warning|daemon/server.cc|s/if (next.threads != config_.threads)/if (false)/|^Reload\.ChangedThreads
metrics-warning|daemon/server.cc|s/if (next.metrics != config_.metrics /if (false /|^Reload\.ChangedMetrics
admin-warning|daemon/server.cc|s/ next.admin != config_.admin)/ false)/|^Reload\.ChangedAdmin
default-room-warning|daemon/server.cc|s/if (next.chat.default_room != config_.chat.default_room)/if (false)/|^Reload\.ChangedDefaultRoom
cluster-warning|daemon/server.cc|s/if (next.cluster != config_.cluster)/if (false)/|^Reload\.ChangedCluster
no-forced-close|daemon/server.cc|/for (auto& worker : workers_) worker->forceCloseAll();/d|^Echo\.ShutdownTimeout
seq-not-per-room|daemon/chat/chat_hub.cc|s/room.id = ++nextRoomId_;/room.seq = room.id = ++nextRoomId_;/|^Chat\.AnEmptiedRoomStartsAgainAtSeqOne$
journald-no-event-field|daemon/journald_sink.cc|/items.push_back("SOCKCHAT_EVENT=" + std::string(event.name));/d|^Journald\.
journald-warning-as-info|daemon/journald_sink.cc|s/return LOG_WARNING;/return LOG_INFO;/|^Journald\.
worker-spins-out-of-fds|daemon/worker.cc|/reportFdExhaustion(error, listener);/{n;s/pauseAccepting();/(void)0;/}|^Echo\.SurvivesRunningOutOfFileDescriptors$
metrics-spins-out-of-fds|daemon/metrics_server.cc|s/^    loop_.unwatch(listener_.get());/    return;/|^Metrics\.OutOfFileDescriptors
echo-prefix-not-reloaded|daemon/worker.cc|s/echo_.setPrefix(settings_.echoPrefix);//|^Lifecycle\.ReloadAppliesANewConfig
EOF
)

scratch=$(mktemp -d /tmp/sockchat-mutants.XXXXXX)
[ -n "${KEEP:-}" ] && echo "scratch copy: $scratch" || trap 'rm -rf "$scratch"' EXIT
# The working tree as it is (tracked and new files, not what .gitignore hides, e.g. build/).
(cd "$repo" && git ls-files -z --cached --others --exclude-standard |
  while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
  xargs -0 cp --parents -t "$scratch")
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
(cd "$scratch" && nice -n 5 cmake --preset default "${launcher[@]}" >"$scratch/configure.log")
# Only what the mutants' tests need: the daemon and the integration tests that drive it (not the
# tools, their tests or the unit tests, which no daemon mutant changes).
targets=(sockchatd $(cd "$scratch" && ninja -C build/default -t targets all |
  sed -n 's/^\([a-z_]*_integration_test\): phony$/\1/p' | grep -v -e sockctl -e sockfetch -e '^cmake_'))

survivors=() results=()
while IFS='|' read -r name file expr regex; do
  [ -n "$name" ] || continue
  if [ $# -gt 0 ] && ! printf '%s\n' "$@" | grep -qxF "$name"; then continue; fi
  cp "$scratch/$file" "$scratch/$file.orig"
  sed -i -e "$expr" "$scratch/$file"
  if cmp -s "$scratch/$file" "$scratch/$file.orig"; then
    results+=("$name: DID NOT APPLY (the daemon changed?): fix the list")
    survivors+=("$name")
    mv "$scratch/$file.orig" "$scratch/$file"
    continue
  fi
  echo "== $name ($file): $(diff "$scratch/$file.orig" "$scratch/$file" | grep '^[<>]' | tr -s ' ' | tr '\n' ' ')"
  if ! (cd "$scratch" && nice -n 5 cmake --build --preset default --target "${targets[@]}" >"$scratch/build-$name.log" 2>&1); then
    results+=("$name: does not build (see $scratch/build-$name.log): fix the list")
    survivors+=("$name")
  elif (cd "$scratch" && nice -n 5 ctest --test-dir build/default -R "$regex" --output-on-failure \
        >"$scratch/test-$name.log" 2>&1); then
    if grep -q "No tests were found" "$scratch/test-$name.log"; then
      results+=("$name: no test matches $regex: fix the list")
    else
      results+=("$name: SURVIVED ($regex all passed)")
    fi
    survivors+=("$name")
  else
    results+=("$name: caught by $(grep -E '\(Failed\)|\(Timeout\)|\(Subprocess' "$scratch/test-$name.log" |
      sed -E 's/^[[:space:]]*[0-9]+ - //' | tr '\n' ' ')")
  fi
  mv "$scratch/$file.orig" "$scratch/$file"
done <<<"$mutants"

printf '%s\n' "${results[@]}"
[ ${#survivors[@]} -eq 0 ] || { echo "mutants.sh: ${#survivors[@]} not caught: ${survivors[*]}" >&2; exit 1; }
