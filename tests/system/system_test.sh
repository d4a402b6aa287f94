#!/usr/bin/env bash
# The user's journey with the sockchatd package, under a real systemd in a container:
# install, serve, journal, reload (good and broken config), watchdog, socket activation,
# chat, stop, upgrade, remove, purge.
#
#   tests/system/system_test.sh DEB|DIR
#
# DEB is the package to test; given a directory, the sockchatd_<version>_<arch>.deb of the
# version in packaging/debian/changelog is taken from it (packaging/build-deb writes it there).
# Needs root and a machine where systemd-nspawn can boot a container; exits 77 (skipped, with
# a loud message) where it cannot, e.g. inside a container. CT_KEEP_LOGS=DIR keeps the logs.
# Needs no network: Debian's redis-server and ngircd packages (only their units are used) are
# taken from PEER_DEBS (default build/peer-debs), where README's test command downloads them.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=nspawn.sh
. "$here/nspawn.sh"

[ $# -eq 1 ] || { echo "usage: $0 DEB|DIR" >&2; exit 2; }
deb=$1
if [ -d "$deb" ]; then
  version=$(dpkg-parsechangelog -l "$repo/packaging/debian/changelog" -S Version)
  deb=$deb/sockchatd_${version}_$(dpkg --print-architecture).deb
fi
[ -f "$deb" ] || { echo "system test: no package at $deb (run packaging/build-deb)" >&2; exit 1; }
deb=$(cd "$(dirname "$deb")" && pwd)/$(basename "$deb")

ct_preflight
peer_debs=${PEER_DEBS:-$repo/build/peer-debs}
for peer in redis-server ngircd; do
  compgen -G "$peer_debs/${peer}_*.deb" >/dev/null ||
    { echo "system test: no ${peer}_*.deb in $peer_debs: README's test command downloads it (apt-get download redis-server ngircd there); the test itself uses no network" >&2; exit 1; }
done
started=$(date +%s)
trap 'ct_teardown' EXIT
# Any command failing outside an explicit check is a failure too, and says where.
trap 'echo "FAIL: line $LINENO: $BASH_COMMAND (exit $?)" >&2; diagnose' ERR
trap 'exit 130' INT TERM HUP

T=/root/systest        # the test's directory inside the container
steps_run=0

step() { steps_run=$((steps_run + 1)); ct_log "---- step $steps_run: $*"; }
ok() { ct_log "ok: $*"; }

diagnose() {
  {
    echo "---- systemctl status sockchatd"
    ct systemctl --no-pager status sockchatd.service sockchatd.socket sockchatd-chat.socket 2>&1 | tail -n 40
    echo "---- journal (last 60 lines)"
    ct journalctl --no-pager -n 60 -o short-monotonic 2>&1
  } >&2 || true
}

fail() {
  echo "FAIL: $*" >&2
  diagnose
  exit 1
}

# wait_for SECONDS DESCRIPTION CMD...: poll CMD every 0.2 s until it succeeds.
wait_for() {
  local limit=$1 what=$2 deadline
  shift 2
  deadline=$(($(date +%s%N) + limit * 1000000000))
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s%N)" -lt "$deadline" ] || fail "timed out after ${limit}s waiting for: $what"
    sleep 0.2
  done
}

prop() { ct systemctl show -P "$2" "$1"; }
main_pid() { prop sockchatd.service MainPID; }
unit_is() { [ "$(prop "$1" ActiveState)" = "$2" ]; }
file_has() { grep -qF -- "$2" "$1"; }

# echo_reply: the tutorial's client, unchanged, against the container's echo service.
echo_reply() { ct python3 "$T/tutorial_echo_client.py" 127.0.0.1 8000; }
# chat_expect TEXT [SEND]: a new chat connection sees TEXT (after sending SEND) within 5 s.
chat_expect() {
  if [ $# -gt 1 ]; then
    ct python3 "$T/netpipe.py" 127.0.0.1 8001 --expect "$1" --send "$2"
  else
    ct python3 "$T/netpipe.py" 127.0.0.1 8001 --expect "$1"
  fi
}
# journal_has FIELD=VALUE... : journalctl -u sockchatd with these matches finds an entry.
journal_has() { [ "$(journal_count "$@")" -gt 0 ]; }
journal_count() { ct journalctl -u sockchatd.service --no-pager -q -o json "$@" | wc -l; }
journal_grows() { [ "$(journal_count "${@:2}")" -gt "$1" ]; } # journal_grows N MATCHES...
score() { { ct systemd-analyze security --no-pager "$1" 2>/dev/null || true; } | sed -n 's/.*Overall exposure level for .*: \([0-9.]*\).*/\1/p'; }

ct_boot "sockchatd-systest-$$"
ct_copy "$deb" "$here/netpipe.py" "$repo/tests/integration/tutorial_echo_client.py" $T
if ct dpkg -s sockchatd >/dev/null 2>&1; then
  ct_log "the host has sockchatd installed; purging it in the container first"
  ct apt-get purge -y -q sockchatd >/dev/null
fi

# ---------------------------------------------------------------------------------------------
step "apt-get install ./$(basename "$deb"): enabled, started, READY, running as sockchatd"
ct apt-get install -y -q --no-install-recommends "$T/$(basename "$deb")" >"$CT_DIR/apt-install.log" 2>&1 ||
  { cat "$CT_DIR/apt-install.log" >&2; fail "apt-get install of the package failed"; }
[ "$(ct systemctl is-enabled sockchatd.service)" = enabled ] || fail "sockchatd.service is not enabled"
# Type=notify: the unit is "active (running)" only once the daemon has sent READY=1.
unit_is sockchatd.service active || fail "sockchatd.service is not active after install"
[ "$(prop sockchatd.service SubState)" = running ] || fail "sockchatd.service is not running"
[ "$(prop sockchatd.service Type)" = notify ] || fail "sockchatd.service is not Type=notify"
journal_has SOCKCHAT_EVENT=start || fail "no start event in the journal"
journal_has MESSAGE="sockchatd: /etc/sockchatd/sockchatd.yaml: configuration ok" ||
  fail "ExecStartPre= (sockchatd --check-config) did not run"
for u in sockchatd.socket sockchatd-chat.socket; do
  [ "$(ct systemctl is-enabled $u || true)" = disabled ] || fail "$u should not be enabled by the package"
  unit_is $u inactive || fail "$u should not be started by the package"
done
pid=$(main_pid)
uid=$(ct awk '/^Uid:/{print $2}' /proc/"$pid"/status)
[ "$uid" = "$(ct id -u sockchatd)" ] || fail "the daemon runs as uid $uid, not as the sockchatd user"
ct test -d /run/sockchatd || fail "RuntimeDirectory /run/sockchatd is missing"
[ "$(ct stat -c %U /run/sockchatd)" = sockchatd ] || fail "/run/sockchatd is not owned by sockchatd"
# LimitNOFILE= as far as the container allows: systemd clamps it to the hard limit it has
# itself when it lacks CAP_SYS_RESOURCE (so does nspawn on some hosts).
nofile=$(ct awk '/^Max open files/{print $4}' /proc/"$pid"/limits)
wanted=$(prop sockchatd.service LimitNOFILE)
possible=$(ct awk '/^Max open files/{print $5}' /proc/1/limits)
[[ $possible =~ ^[0-9]+$ ]] || possible=$wanted # "unlimited"
[ "$wanted" -ge 10016 ] || fail "LimitNOFILE=$wanted is too small for max_connections 10000"
[ "$nofile" -ge "$((wanted < possible ? wanted : possible))" ] ||
  fail "the daemon's open files limit is $nofile, not LimitNOFILE=$wanted (PID 1's hard limit: $possible)"
ct dpkg -L sockchatd >"$CT_DIR/dpkg-L.txt"
ok "installed; active (running) as sockchatd (uid $uid), NOFILE $nofile (LimitNOFILE=$wanted); sockets disabled"

step "STATUS= shows live counts"
wait_for 10 "a STATUS= with client and room counts" \
  bash -c "[[ \"\$(nsenter -t $CT_INIT -a -r -w -- systemctl show -P StatusText sockchatd)\" =~ ^[0-9]+\ clients?,\ [0-9]+\ rooms?$ ]]"
ok "StatusText: $(prop sockchatd.service StatusText)"

step "systemd-analyze security: sockchatd.service is safer than Debian's own units"
# Debian's units, measured beside ours in this container: nginx.service is installed (nginx-light
# is a build dependency); the redis-server and ngircd units are taken from their packages, which
# README's test command downloaded into $peer_debs (checked at the start), without installing them.
peers=$CT_DIR/peer-debs
mkdir -p "$peers"
for peer in "$peer_debs"/redis-server_*.deb "$peer_debs"/ngircd_*.deb; do
  dpkg-deb -x "$peer" "$peers/tree"
done
for unit in redis-server.service ngircd.service; do
  cp "$peers/tree/lib/systemd/system/$unit" "$(ct_path /etc/systemd/system)/$unit"
done
ct systemctl daemon-reload
ours=$(score sockchatd.service)
[ -n "$ours" ] || fail "systemd-analyze security gave no score for sockchatd.service"
ct_log "exposure: sockchatd.service $ours"
for other in redis-server.service nginx.service ngircd.service; do
  theirs=$(score $other)
  [ -n "$theirs" ] || fail "systemd-analyze security gave no score for $other"
  ct_log "exposure: $other $theirs"
  awk -v a="$ours" -v b="$theirs" 'BEGIN { exit !(a < b) }' || fail "sockchatd.service ($ours) is not safer than $other ($theirs)"
done
ct rm /etc/systemd/system/redis-server.service /etc/systemd/system/ngircd.service
ct systemctl daemon-reload
ok "exposure $ours, below redis-server, nginx and ngircd"

# ---------------------------------------------------------------------------------------------
step "the tutorial client gets 'hello Wilson' on 127.0.0.1:8000"
reply=$(echo_reply) || fail "the tutorial client could not talk to 127.0.0.1:8000"
[ "$reply" = "hello Wilson" ] || fail "the tutorial client got '$reply', not 'hello Wilson'"
ok "$reply"

step "journalctl -u sockchatd SOCKCHAT_EVENT=connect shows the connection with SOCKCHAT_PEER"
wait_for 5 "a connect event in the journal" journal_has SOCKCHAT_EVENT=connect
ct journalctl -u sockchatd.service --no-pager -q -o json SOCKCHAT_EVENT=connect >"$(ct_path $T/connect.json)"
ct python3 - $T/connect.json <<'EOF' || fail "the connect event lacks its fields"
import json, sys
entries = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
e = entries[-1]
assert e.get("SOCKCHAT_PEER", "").startswith("127.0.0.1:"), e
assert e.get("SOCKCHAT_LISTENER") == "127.0.0.1:8000", e
assert e.get("SOCKCHAT_CONN", "").startswith("c"), e
assert e.get("PRIORITY") == "6", e
assert e.get("_SYSTEMD_UNIT") == "sockchatd.service", e
print("  " + e["MESSAGE"])
EOF
wait_for 5 "the disconnect event with its reason" journal_has SOCKCHAT_EVENT=disconnect "SOCKCHAT_REASON=peer closed"
ok "connect event with SOCKCHAT_PEER, SOCKCHAT_LISTENER, SOCKCHAT_CONN, PRIORITY=6; disconnect with SOCKCHAT_REASON"

# ---------------------------------------------------------------------------------------------
# The chat service and sockctl are part of the package: their steps are required.
chat_expect "Welcome" >/dev/null || fail "no chat service answers on 127.0.0.1:8001"
ct test -x /usr/bin/sockctl || fail "/usr/bin/sockctl is not in the package"
for program in sockctl sockchatd sockfetch; do
  ct test -f /usr/share/bash-completion/completions/$program ||
    fail "the bash completion of $program is not in the package"
done

step "reload with a changed MOTD and echo prefix: new connections see it, old ones stay"
conf=$(ct_path /etc/sockchatd/sockchatd.yaml)
cp "$conf" "$CT_DIR/good.yaml"
pid=$(main_pid)
reloads=$(journal_count SOCKCHAT_EVENT=reload PRIORITY=6)
mkfifo "$(ct_path $T/old.in)"
exec {old_in}<>"$(ct_path $T/old.in)"
ct_bg "$CT_DIR/old.out" python3 $T/netpipe.py 127.0.0.1 8001 <"$(ct_path $T/old.in)"
wait_for 5 "the long-lived chat connection's welcome" file_has "$CT_DIR/old.out" "Welcome"
sed -i 's/^  motd: .*/  motd: "systest motd two"/; /^echo:/,/^[a-z]/ s/^  prefix: .*/  prefix: "howdy "/' "$conf"
ct systemctl reload sockchatd.service || fail "systemctl reload failed on a valid config"
wait_for 10 "the new echo prefix" bash -c "[ \"\$(nsenter -t $CT_INIT -a -r -w -- python3 $T/tutorial_echo_client.py)\" = 'howdy Wilson' ]"
chat_expect "systest motd two" >/dev/null || fail "a new chat connection did not get the new MOTD"
[ "$(main_pid)" = "$pid" ] || fail "the reload restarted the daemon"
unit_is sockchatd.service active || fail "not active after the reload"
wait_for 5 "the reload event" journal_grows "$reloads" SOCKCHAT_EVENT=reload PRIORITY=6
echo "still here after the reload" >&"$old_in"
wait_for 5 "the old chat connection to still work" file_has "$CT_DIR/old.out" "still here after the reload"
file_has "$CT_DIR/old.out" "[closed]" && fail "the old chat connection was closed by the reload"
ok "reloaded in place (pid $pid): new prefix and MOTD, old connection kept"

step "reload with a broken config fails visibly; the running config keeps serving"
sed -i 's/^  max_line_bytes: .*/  max_line_bytes: "4 KB"/' "$conf"
if ct systemctl reload sockchatd.service 2>"$CT_DIR/reload.err"; then
  fail "systemctl reload succeeded on an invalid config"
fi
ct_log "  systemctl reload: $(head -n1 "$CT_DIR/reload.err")"
ct journalctl -u sockchatd --no-pager -q -o cat | grep -q 'limits.max_line_bytes: "4 KB" is not a size' ||
  fail "the config check's error is not in the journal"
unit_is sockchatd.service active || fail "the failed reload took the service down"
[ "$(main_pid)" = "$pid" ] || fail "the failed reload restarted the daemon"
[ "$(echo_reply)" = "howdy Wilson" ] || fail "after the failed reload the echo prefix is not the running one"
chat_expect "systest motd two" >/dev/null || fail "after the failed reload the MOTD changed"
# The daemon's own guard: SIGHUP straight to it with the broken file keeps the running config.
ct systemctl kill -s HUP --kill-whom=main sockchatd.service
wait_for 5 "the daemon to reject the broken config" journal_has SOCKCHAT_EVENT=reload PRIORITY=3
[ "$(echo_reply)" = "howdy Wilson" ] || fail "after a SIGHUP with a broken file the echo prefix changed"
unit_is sockchatd.service active || fail "a SIGHUP with a broken file took the service down"
status=$(prop sockchatd.service StatusText)
[[ $status == *"last reload failed: /etc/sockchatd/sockchatd.yaml:"* ]] ||
  fail "systemctl status does not say the reload failed: '$status'"
ct_log "  StatusText: $status"
cp "$CT_DIR/good.yaml" "$conf"
ct systemctl reload sockchatd.service || fail "reload back to the shipped config failed"
[[ $(prop sockchatd.service StatusText) != *"reload failed"* ]] || fail "StatusText still says the reload failed"
wait_for 10 "the shipped echo prefix" bash -c "[ \"\$(nsenter -t $CT_INIT -a -r -w -- python3 $T/tutorial_echo_client.py)\" = 'hello Wilson' ]"
exec {old_in}>&-
ok "reload failed (exit non-zero), daemon untouched and serving the running config"

# ---------------------------------------------------------------------------------------------
step "the operator's sockctl through the packaged unit: status and reload as root; others refused"
sock=/run/sockchatd/admin.sock
[ "$(ct stat -c '%a %U %G' "$sock")" = "660 sockchatd sockchatd" ] ||
  fail "the admin socket is not 0660 sockchatd:sockchatd: $(ct stat -c '%a %U %G' "$sock")"
status_out=$(ct sockctl status) || fail "sockctl status as root failed"
ct_log "  sockctl status: $(head -n1 <<<"$status_out")"
[[ $status_out == *"pid $(main_pid) "* ]] || fail "sockctl status does not name the daemon's pid: $status_out"
[[ $status_out == *"/etc/sockchatd/sockchatd.yaml"* ]] || fail "sockctl status does not name the config"
reload_out=$(ct sockctl reload) || fail "sockctl reload failed on the shipped config"
[ "$reload_out" = "no changes" ] || fail "sockctl reload of an unchanged config said: $reload_out"
ct systemctl reload sockchatd.service || fail "systemctl reload failed next to the admin socket"
rc=0
ct setpriv --reuid=nobody --regid=nogroup --clear-groups sockctl status >/dev/null 2>&1 || rc=$?
[ "$rc" = 77 ] || fail "sockctl status as nobody exited $rc, not 77"
ok "sockctl status and reload work as root through the unit; nobody gets 77"

# ---------------------------------------------------------------------------------------------
step "a TLS listener under the unit: key root:sockchatd 0640, reload, sockctl --tls --cacert"
tls=/etc/sockchatd/tls
ct mkdir -p $tls
ct openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
  -subj "/CN=systest CA" -addext basicConstraints=critical,CA:TRUE \
  -keyout $tls/ca.key -out $tls/ca.crt 2>/dev/null || fail "openssl could not make the CA"
ct openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=localhost \
  -keyout $tls/privkey.pem -out $tls/req.csr 2>/dev/null || fail "openssl could not make the key"
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >"$(ct_path $tls/ext.cnf)"
ct openssl x509 -req -in $tls/req.csr -CA $tls/ca.crt -CAkey $tls/ca.key -CAcreateserial -days 2 \
  -extfile $tls/ext.cnf -out $tls/fullchain.pem 2>/dev/null || fail "openssl could not sign the certificate"
# As README tells the operator: the daemon's group may read the key, nobody else.
ct chgrp sockchatd $tls/privkey.pem
ct chmod 0640 $tls/privkey.pem
# The shipped file lists its listeners under "listen:"; if it ever stops, say so.
grep -q '^listen:$' "$conf" || fail "the shipped config has no 'listen:' line to add the TLS listeners under"
sed -i 's|^listen:$|listen:\n  - {service: echo, address: "127.0.0.1:6697", tls: {certificate: /etc/sockchatd/tls/fullchain.pem, key: /etc/sockchatd/tls/privkey.pem}}\n  - {service: chat, address: "127.0.0.1:6698", tls: {certificate: /etc/sockchatd/tls/fullchain.pem, key: /etc/sockchatd/tls/privkey.pem}}|' "$conf"
ct sockchatd -t -c /etc/sockchatd/sockchatd.yaml >/dev/null || fail "sockchatd -t rejects the TLS config"
ct systemctl reload sockchatd.service || fail "systemctl reload with the TLS listeners failed"
wait_for 10 "the TLS listener" journal_has SOCKCHAT_EVENT=tls SOCKCHAT_LISTENER=127.0.0.1:6697
tls_reply=$(ct sockctl echo --tls --cacert $tls/ca.crt 127.0.0.1:6697 Wilson) || fail "sockctl echo --tls failed"
[ "$tls_reply" = "hello Wilson" ] || fail "sockctl echo --tls got '$tls_reply'"
chat_tls=$(printf 'hello over tls\n' | ct timeout 10 sockctl chat --tls --cacert $tls/ca.crt --nick tlsuser 127.0.0.1:6698) ||
  fail "sockctl chat --tls failed"
[[ $chat_tls == *"<tlsuser> hello over tls"* ]] || fail "sockctl chat --tls did not see its own line: $chat_tls"
journal_has SOCKCHAT_EVENT=connect SOCKCHAT_TLS_VERSION=TLSv1.3 || fail "no connect event with SOCKCHAT_TLS_VERSION"
rc=0
ct sockctl echo --tls 127.0.0.1:6697 Wilson >/dev/null 2>&1 || rc=$?
[ "$rc" = 77 ] || fail "sockctl echo --tls without the CA exited $rc, not 77 (untrusted certificate)"
ours_tls=$(score sockchatd.service)
awk -v a="$ours_tls" 'BEGIN { exit !(a < 1.1) }' || fail "with TLS on, the exposure is $ours_tls, not below 1.1"
cp "$CT_DIR/good.yaml" "$conf"
ct systemctl reload sockchatd.service || fail "reload back to the shipped config failed"
ok "TLS echo and chat through the unit with sockctl --tls --cacert; untrusted: 77; exposure $ours_tls"

# ---------------------------------------------------------------------------------------------
step "the watchdog restarts a stopped (SIGSTOP) daemon"
ct mkdir -p /etc/systemd/system/sockchatd.service.d
printf '[Service]\nWatchdogSec=2s\n' >"$(ct_path /etc/systemd/system/sockchatd.service.d/systest-watchdog.conf)"
ct systemctl daemon-reload
ct systemctl restart sockchatd.service || fail "restart with WatchdogSec=2s failed"
pid=$(main_pid)
restarts=$(prop sockchatd.service NRestarts)
wait_for 5 "the watchdog event" journal_has SOCKCHAT_EVENT=watchdog _PID="$pid"
sleep 5 # 2.5 watchdog intervals: a daemon that pings correctly is left alone
[ "$(main_pid)" = "$pid" ] || fail "the watchdog killed a healthy daemon"
ct kill -STOP "$pid"
ct_log "  SIGSTOP sent to $pid"
wait_for 30 "a restart by the watchdog" bash -c \
  "p=\$(nsenter -t $CT_INIT -a -r -w -- systemctl show -P MainPID sockchatd); [ \"\$p\" != 0 ] && [ \"\$p\" != $pid ] && [ \"\$(nsenter -t $CT_INIT -a -r -w -- systemctl show -P ActiveState sockchatd)\" = active ]"
[ "$(prop sockchatd.service NRestarts)" -gt "$restarts" ] || fail "NRestarts did not grow"
ct journalctl -u sockchatd --no-pager -q -o cat | grep -q "Watchdog timeout" || fail "no 'Watchdog timeout' in the journal"
[ "$(echo_reply)" = "hello Wilson" ] || fail "no echo after the watchdog restart"
ok "watchdog timeout: restarted as pid $(main_pid)"
ct rm -r /etc/systemd/system/sockchatd.service.d
ct systemctl daemon-reload
ct systemctl reset-failed sockchatd.service

# ---------------------------------------------------------------------------------------------
step "socket activation: sockchatd.socket (echo) + sockchatd-chat.socket (chat); the first connection starts the service"
ct systemctl stop sockchatd.service
unit_is sockchatd.service inactive || fail "the service did not stop"
# As packaging/README.md and sockchatd(8) tell the admin to switch.
ct systemctl enable --now sockchatd.socket 2>/dev/null || fail "systemctl enable --now sockchatd.socket failed"
unit_is sockchatd.socket active || fail "sockchatd.socket is not listening"
unit_is sockchatd-chat.socket active || fail "sockchatd.socket did not pull in sockchatd-chat.socket"
[ "$(ct systemctl is-enabled sockchatd-chat.socket)" = enabled ] || fail "enabling sockchatd.socket did not enable sockchatd-chat.socket"
unit_is sockchatd.service inactive || fail "starting the sockets started the service at once"
reply=$(echo_reply) || fail "the first connection did not get an answer"
[ "$reply" = "hello Wilson" ] || fail "the first connection got '$reply'"
unit_is sockchatd.service active || fail "the first connection did not start the service"
pid=$(main_pid)
# Every listening socket is the one systemd bound: held by PID 1 and by the daemon, so the
# service received both units' sockets (and bound nothing of its own).
ct bash -c '
  pid=$1
  check() { # check FILE HEXPORT: the listening socket on that port is shared by systemd and the daemon
    local inode n=0
    for inode in $(awk -v p=":$2" "\$4 == \"0A\" && \$2 ~ p\"\$\" {print \$10}" "$1"); do
      n=$((n + 1))
      ls -l /proc/1/fd 2>/dev/null | grep -q "socket:\[$inode\]" || { echo "port $2: socket $inode is not systemd'"'"'s"; return 1; }
      ls -l /proc/$pid/fd 2>/dev/null | grep -q "socket:\[$inode\]" || { echo "port $2: socket $inode was not passed to the daemon"; return 1; }
    done
    [ $n -gt 0 ] || { echo "nothing listens on port $2 in $1"; return 1; }
  }
  check /proc/net/tcp 1F40 && check /proc/net/tcp 1F41 && check /proc/net/tcp6 1F41
' _ "$pid" || fail "the sockets were not all passed from systemd to the daemon"
chat_expect "Welcome" >/dev/null || fail "no chat on the passed chat sockets"
ct python3 "$T/netpipe.py" ::1 8001 --expect Welcome >/dev/null || fail "no chat on [::1]:8001"
ok "echo and chat served on the sockets systemd passed (pid $pid)"
# Left enabled (but stopped) on purpose: purge must remove the admin's enablement links too.
ct systemctl stop sockchatd.socket
unit_is sockchatd-chat.socket inactive || fail "stopping sockchatd.socket did not stop sockchatd-chat.socket"
ct systemctl stop sockchatd.service
ct systemctl start sockchatd.service || fail "the service did not start again on its own listeners"
[ "$(echo_reply)" = "hello Wilson" ] || fail "no echo after going back from socket activation"

# ---------------------------------------------------------------------------------------------
holders=()
step "chat clients connected for the stop"
for n in 1 2; do
  mkfifo "$(ct_path $T/hold$n.in)"
  exec {fd}<>"$(ct_path $T/hold$n.in)"
  holders+=("$fd")
  ct_bg "$CT_DIR/hold$n.out" python3 $T/netpipe.py 127.0.0.1 8001 <"$(ct_path $T/hold$n.in)"
  wait_for 5 "chat client $n's welcome" file_has "$CT_DIR/hold$n.out" "Welcome"
done
ok "2 raw chat clients connected"
step "two sockctl chat processes (pipe mode) exchange messages"
declare -A to_sockctl
for who in alice bob; do
  mkfifo "$(ct_path $T/$who.in)"
  exec {fd}<>"$(ct_path $T/$who.in)"
  holders+=("$fd")
  to_sockctl[$who]=$fd
  ct_bg "$CT_DIR/$who.out" sockctl chat --nick $who --room systest --no-color --no-reconnect <"$(ct_path $T/$who.in)"
  wait_for 10 "$who to join #systest" file_has "$CT_DIR/$who.out" "$who joined #systest"
done
echo "hello bob, alice here" >&"${to_sockctl[alice]}"
wait_for 10 "bob to receive alice's message" file_has "$CT_DIR/bob.out" "<alice> hello bob, alice here"
echo "hi alice, bob here" >&"${to_sockctl[bob]}"
wait_for 10 "alice to receive bob's message" file_has "$CT_DIR/alice.out" "<bob> hi alice, bob here"
journal_has SOCKCHAT_EVENT=join SOCKCHAT_NICK=alice SOCKCHAT_ROOM=systest ||
  fail "no join event with SOCKCHAT_NICK=alice SOCKCHAT_ROOM=systest in the journal"
ok "alice and bob exchanged messages through sockctl chat; their joins are in the journal"

step "systemctl stop: chat clients get the shutdown line; inactive, result success"
ct systemctl stop sockchatd.service || fail "systemctl stop failed"
[ "$(prop sockchatd.service ActiveState)" = inactive ] || fail "not inactive after stop"
[ "$(prop sockchatd.service Result)" = success ] || fail "result $(prop sockchatd.service Result), not success"
[ "$(prop sockchatd.service ExecMainStatus)" = 0 ] || fail "exit status $(prop sockchatd.service ExecMainStatus), not 0"
journal_has SOCKCHAT_EVENT=shutdown || fail "no shutdown event in the journal"
for n in 1 2; do
  wait_for 5 "chat client $n to be closed" file_has "$CT_DIR/hold$n.out" "[closed]"
  file_has "$CT_DIR/hold$n.out" "! closing: shutting down" || fail "chat client $n did not get the shutdown line"
done
for who in alice bob; do
  wait_for 5 "$who's sockctl to show the shutdown line" file_has "$CT_DIR/$who.out" "closes the connection: shutting down"
done
for fd in "${holders[@]}"; do exec {fd}>&-; done
ok "stopped: inactive, result success, exit 0, every chat client told"

# ---------------------------------------------------------------------------------------------
step "upgrade to a newer version restarts the service; remove stops it and keeps the config"
ct systemctl reset-failed sockchatd.service # the test has started it often: clear the start limit
ct systemctl start sockchatd.service
pid=$(main_pid)
# The same package under a higher version: dpkg runs the real upgrade path (prerm upgrade,
# postinst configure OLD-VERSION), not the reinstall one.
old_version=$(dpkg-deb -f "$deb" Version)
new_version=$old_version+systest1
rm -rf "$CT_DIR/upgrade" && dpkg-deb -R "$deb" "$CT_DIR/upgrade"
sed -i "s/^Version: .*/Version: $new_version/" "$CT_DIR/upgrade/DEBIAN/control"
dpkg-deb -b --root-owner-group "$CT_DIR/upgrade" "$(ct_path "$T/sockchatd_upgrade.deb")" >/dev/null
ct apt-get install -y -q "$T/sockchatd_upgrade.deb" >"$CT_DIR/apt-upgrade.log" 2>&1 ||
  { cat "$CT_DIR/apt-upgrade.log" >&2; fail "apt-get install of $new_version failed"; }
grep -qF "Unpacking sockchatd ($new_version) over ($old_version)" "$CT_DIR/apt-upgrade.log" ||
  { cat "$CT_DIR/apt-upgrade.log" >&2; fail "apt did not upgrade from $old_version"; }
[ "$(ct dpkg-query -W -f='${Version}' sockchatd)" = "$new_version" ] || fail "$new_version is not installed"
unit_is sockchatd.service active || fail "not active after the upgrade"
[ "$(main_pid)" != "$pid" ] || fail "the upgrade did not restart the daemon"
[ "$(echo_reply)" = "hello Wilson" ] || fail "the upgraded daemon does not answer the tutorial client"
ct apt-get remove -y -q sockchatd >"$CT_DIR/apt-remove.log" 2>&1 || { cat "$CT_DIR/apt-remove.log" >&2; fail "apt-get remove failed"; }
unit_is sockchatd.service inactive || fail "still running after apt-get remove"
ct test -f /etc/sockchatd/sockchatd.yaml || fail "apt-get remove removed the conffile"
ok "upgraded $old_version -> $new_version and restarted, stopped on remove, conffile kept"

step "apt-get purge leaves no file of the package behind"
ct apt-get purge -y -q sockchatd >"$CT_DIR/apt-purge.log" 2>&1 || { cat "$CT_DIR/apt-purge.log" >&2; fail "apt-get purge failed"; }
left=()
while read -r path; do
  if [ -z "$path" ] || [ "$path" = /. ]; then continue; fi
  ct test -e "$path" -o -L "$path" || continue
  ct test -d "$path" && ct dpkg -S "$path" >/dev/null 2>&1 && continue # a directory of other packages
  left+=("$path")
done <"$CT_DIR/dpkg-L.txt"
for path in /etc/sockchatd /run/sockchatd /etc/systemd/system/multi-user.target.wants/sockchatd.service \
  /etc/systemd/system/sockets.target.wants/sockchatd.socket \
  /etc/systemd/system/sockets.target.wants/sockchatd-chat.socket; do
  if ct test -e "$path" -o -L "$path"; then left+=("$path"); fi
done
while read -r path; do left+=("$path"); done < <(ct find /var/lib/systemd/deb-systemd-helper-enabled /etc/systemd/system -name '*sockchatd*')
[ ${#left[@]} = 0 ] || fail "left behind after purge: ${left[*]}"
[ "$(prop sockchatd.service LoadState)" = not-found ] || fail "systemd still knows sockchatd.service"
ok "nothing of the package left ($(wc -l <"$CT_DIR/dpkg-L.txt") paths checked)"

# ---------------------------------------------------------------------------------------------
ct_log "PASSED: $steps_run steps in $(($(date +%s) - started)) s"
