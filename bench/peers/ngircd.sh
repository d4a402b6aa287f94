#!/usr/bin/env bash
# The IRC daemon users would pick for a small self-hosted chat: ngIRCd from Debian (apt-get
# install ngircd; the packaged service is not used), run by hand in the foreground with a config
# of its own that measures it at its best:
#   - listens on 127.0.0.1:PORT only; no PID file, no chroot, no user switch but to nobody when
#     run as root (ngIRCd insists), no MOTD file (a one-line MotdPhrase), no ident, DNS or PAM
#     look-ups at connect;
#   - no connection caps: MaxConnections 0, MaxConnectionsIP 0 (its default 5 per address would
#     refuse the 6th client of a load generator on one address), MaxJoins 0;
#   - flood penalties OFF: MaxPenaltyTime 0 ("0 to disable penalties altogether",
#     ngircd.conf(5)), so lines are not throttled to one every so often per client;
#   - PING/PONG timeouts long (600 s): a run never waits on them;
#   - a channel has no member limit unless +l is set: 200+ members join as they are.
# Usage: ngircd.sh PORT. Ends (and removes its temporary config) on SIGTERM.
set -euo pipefail
port=${1:?usage: ngircd.sh PORT}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
trap 'exit 143' TERM INT
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
user=""
[ "$(id -u)" = 0 ] && user="ServerUID = nobody"
cat >"$dir/ngircd.conf" <<CONF
[Global]
Name = bench.irc.local
Info = sockchatd bench peer
Listen = 127.0.0.1
Ports = $port
MotdPhrase = "bench"
$user

[Limits]
MaxConnections = 0
MaxConnectionsIP = 0
MaxJoins = 0
MaxNickLength = 16
MaxPenaltyTime = 0
PingTimeout = 600
PongTimeout = 600

[Options]
DNS = no
Ident = no
PAM = no
CONF
chmod 755 "$dir"; chmod 644 "$dir/ngircd.conf"
# -n: foreground, logging to stdout, sent to stderr here (the bench captures stdout); not
# exec'd, so that the EXIT trap removes the config.
/usr/sbin/ngircd -n -f "$dir/ngircd.conf" </dev/null >&2 &
child=$!
trap 'kill -TERM "$child" 2>/dev/null; wait "$child"; exit 143' TERM INT
wait "$child"
