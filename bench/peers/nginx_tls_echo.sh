#!/usr/bin/env bash
# nginx's stream module terminating TLS in front of a plain echo backend: nginx's TLS (the most
# deployed event-driven TLS terminator) plus one proxy hop to sockchatd's plain RFC 862 echo.
# Both run in this script's session, so bench/lib.sh's stop_server ends both, and both inherit
# its CPU pinning: nginx (worker_processes 1) and the backend (threads: 1) share one core, the
# core every other server gets alone. Needs the stream module: apt-get install libnginx-mod-stream.
# Usage: nginx_tls_echo.sh PORT BACKEND_PORT CERT KEY SOCKCHATD WORKDIR
set -euo pipefail
port=${1:?usage: nginx_tls_echo.sh PORT BACKEND_PORT CERT KEY SOCKCHATD WORKDIR}
backend=${2:?}; cert=${3:?}; key=${4:?}; sockchatd=${5:?}; dir=${6:?}
module=${NGINX_STREAM_MODULE:-/usr/lib/nginx/modules/ngx_stream_module.so}
mkdir -p "$dir"
cat >"$dir/backend.yaml" <<YAML
listen: [{service: echo, address: "127.0.0.1:$backend"}]
threads: 1
echo: {prefix: ""}
limits: {max_connections_per_ip: 10000, max_connections: 10000}
admin: {socket: ""}
logging: {level: warn}
YAML
"$sockchatd" -c "$dir/backend.yaml" &
# The backend must listen before nginx does: the readiness probe only sees nginx's port.
for _ in $(seq 1000); do
  (exec 3<>"/dev/tcp/127.0.0.1/$backend") 2>/dev/null && break
  sleep 0.005
done
# The stock configuration's defaults apart from what a benchmark needs: one worker, enough
# connections for 500 clients and their 500 upstream connections, the same backlog as the others.
cat >"$dir/nginx.conf" <<CONF
load_module $module;
worker_processes 1;
worker_rlimit_nofile 10000;
pid $dir/nginx.pid;
error_log stderr warn;
events { worker_connections 4096; }
stream {
  server {
    listen 127.0.0.1:$port ssl backlog=1024;
    ssl_certificate $cert;
    ssl_certificate_key $key;
    # nginx 1.22 leaves TLSv1.3 out of its default list (1.23.4 added it); every server here
    # must negotiate the same protocol.
    ssl_protocols TLSv1.2 TLSv1.3;
    proxy_pass 127.0.0.1:$backend;
  }
}
CONF
exec nginx -e stderr -p "$dir" -c "$dir/nginx.conf" -g 'daemon off;'
