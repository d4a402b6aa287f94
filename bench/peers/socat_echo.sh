#!/bin/sh
# The stronger peer: socat, a mature C relay from Debian (apt-get install socat), as an RFC 862
# echo. One forked process per connection, each echoing through its own in-process pipe (PIPE),
# so no interpreter, no lock shared between clients and no extra `cat` process per connection
# (EXEC:cat would add a fork+exec and a second pipe hop, a weaker peer than socat can be).
# backlog=1024 matches sockchatd's listen backlog: socat's default (5) would measure a tuning
# flag, not the server.
exec socat TCP-LISTEN:"${1:?usage: socat_echo.sh PORT}",bind=127.0.0.1,fork,reuseaddr,backlog=1024 PIPE
