#!/usr/bin/env bash
# The peer most people would reach for first: `ncat --chat` from Debian's ncat (Nmap's netcat,
# apt-get install ncat). One process, one select() loop, every line a client sends is prefixed
# with "<userN> " and written to every other client. Made as fair as its options allow:
#   - listening on 127.0.0.1 only (chat_load connects there);
#   - -m 10000: its default cap is 100 simultaneous connections (ncat's select() loop still tops
#     out near FD_SETSIZE, 1024 descriptors: enough for the 200 clients of bench/run_fanout.sh);
#   - the descriptor limit raised as far as the hard limit allows.
# It has no TCP_NODELAY option and no limits to raise: that is ncat as users get it.
port=${1:?usage: ncat_chat.sh PORT}
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
# stdin from /dev/null and stdout away: ncat writes what it relays to stdout, and the bench
# captures stdout.
exec ncat --chat --listen -m 10000 127.0.0.1 "$port" </dev/null >/dev/null
