#!/bin/sh
# socat (Debian package) as a TLS RFC 862 echo, the TLS twin of socat_echo.sh: one forked process
# per connection, each doing its own handshake and echoing through its own pipe (PIPE).
# backlog=1024 matches sockchatd's listen backlog; verify=0 because clients bring no certificate.
# Usage: socat_tls_echo.sh PORT CERT KEY
exec socat OPENSSL-LISTEN:"${1:?usage: socat_tls_echo.sh PORT CERT KEY}",bind=127.0.0.1,fork,reuseaddr,backlog=1024,cert="${2:?}",key="${3:?}",verify=0 PIPE
