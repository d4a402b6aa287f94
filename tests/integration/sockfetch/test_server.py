#!/usr/bin/env python3
"""Scripted HTTP/1.1 server for sockfetch's integration tests.

Each path is one server behaviour that sockfetch (and curl, for comparison) must
handle: chunked bodies with trailers, close-delimited bodies, redirects, servers
that stall, close, reset or truncate. It writes raw bytes on purpose, so the
tests see exactly what a misbehaving or unusual server would send.

Usage: test_server.py [--bind ADDR] [--silent]. Prints "PORT <n>" on stdout once
listening (the tests wait for that line instead of sleeping) and serves until
killed or until stdin closes (so it never outlives a crashed test). With
--silent it is not an HTTP server: it accepts, reads and never writes a byte,
so a TLS client's handshake stalls after its ClientHello.
"""
import argparse
import socket
import socketserver
import sys
import threading
import time

UTF8_PAGE = (
    "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Grüße – 日本語</title></head>\n"
    "<body><p>Ünïcödé ✓ 🚀</p>\r\n\r\n<p>after a blank CRLF line</p></body></html>\n"
).encode("utf-8")


def response(status, headers, body=b""):
    # Connection: close on every response: this server answers one request per connection,
    # and a client must not be tempted to reuse it (curl would, then fail with 55).
    head = "HTTP/1.1 %s\r\n" % status
    headers = list(headers) + [("Connection", "close")]
    for name, value in headers:
        head += "%s: %s\r\n" % (name, value)
    return head.encode("latin-1") + b"\r\n" + body


class Handler(socketserver.BaseRequestHandler):
    def read_request(self):
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = self.request.recv(4096)
            if not chunk:
                return None, {}, data
            data += chunk
        head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1")
        lines = head.split("\r\n")
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        return lines[0], headers, head.encode("latin-1") + b"\r\n\r\n"

    def handle(self):
        sock = self.request
        request_line, headers, raw = self.read_request()
        if request_line is None:
            return
        method, target, _ = request_line.split(" ", 2)
        path, _, query = target.partition("?")
        head_only = method == "HEAD"

        def send(data):
            sock.sendall(data)

        def send_forever(data):
            # Until the client gives up and closes the connection.
            try:
                while True:
                    send(data)
            except OSError:
                pass

        def fixed(status, body, ctype="text/plain", extra=()):
            hdrs = [("Content-Type", ctype), ("Content-Length", str(len(body)))] + list(extra)
            send(response(status, hdrs, b"" if head_only else body))

        if path == "/hello":
            fixed("200 OK", b"hello world\n")
        elif path == "/echo":
            # The request head as the body, so tests can check what was sent.
            fixed("200 OK", raw)
        elif path == "/chunked":
            send(response("200 OK", [("Content-Type", "application/octet-stream"),
                                     ("Transfer-Encoding", "chunked"),
                                     ("Trailer", "X-Checksum")]))
            if head_only:
                return
            for part in (b"first chunk\n", bytes(range(256)), b"\r\n\r\nlast\n"):
                send(b"%x;ext=1\r\n%s\r\n" % (len(part), part))
                time.sleep(0.05)
            send(b"0\r\nX-Checksum: abc123\r\n\r\n")
        elif path == "/chunked-truncated":
            send(response("200 OK", [("Transfer-Encoding", "chunked")]) + b"10\r\nonly some")
        elif path == "/partial-head":
            send(b"HTTP/1.1 200 OK\r\nContent-")
        elif path == "/close":
            # No Content-Length, no chunking: the body ends when the connection does.
            send(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n")
            if not head_only:
                send(b"close-delimited body\n")
                time.sleep(0.05)
                send(b"second part\n")
        elif path == "/utf8":
            fixed("200 OK", UTF8_PAGE, "text/html; charset=utf-8")
        elif path == "/204":
            send(response("204 No Content", [("X-Info", "nothing")]))
        elif path == "/304":
            send(response("304 Not Modified", [("ETag", "\"v1\"")]))
        elif path == "/204-with-length":
            # A body-less status must not make the client wait for the announced length.
            send(response("204 No Content", [("Content-Length", "5")]))
        elif path == "/continue":
            send(b"HTTP/1.1 100 Continue\r\n\r\n")
            fixed("200 OK", b"after continue\n")
        elif path == "/continue-forever":
            # Interim responses back to back, never a final one, until the client gives up.
            send_forever(b"HTTP/1.1 100 Continue\r\n\r\n" * 64)
        elif path == "/endless-tiny-chunks":
            # A chunked body of 1-byte chunks that never ends: each costs the client a parse
            # and a write, the server nothing, so bytes are always waiting to be read.
            send(response("200 OK", [("Transfer-Encoding", "chunked")]))
            send_forever(b"1\r\nx\r\n" * 10000)
        elif path == "/chunked-then-identity":
            # A second Transfer-Encoding header that makes chunked not the final coding.
            send(response("200 OK", [("Transfer-Encoding", "chunked"),
                                     ("Transfer-Encoding", "identity")]) +
                 b"5\r\nhello\r\n0\r\n\r\n")
        elif path == "/redirect":
            # /redirect?n=3 → 3 hops of various kinds, then /hello.
            n = int(query.partition("=")[2] or "1")
            codes = ["301 Moved Permanently", "302 Found", "303 See Other",
                     "307 Temporary Redirect", "308 Permanent Redirect"]
            location = "/hello" if n <= 1 else "redirect?n=%d" % (n - 1)
            fixed(codes[n % len(codes)], b"redirect body\n", extra=[("Location", location)])
        elif path == "/redirect-to":
            fixed("302 Found", b"", extra=[("Location", query.partition("=")[2])])
        elif path == "/loop":
            fixed("302 Found", b"loop\n", extra=[("Location", "/loop")])
        elif path == "/status":
            code = query.partition("=")[2] or "404"
            fixed(code + " Some Status", b"error page body\n")
        elif path == "/silent":
            # Accept, read the request, never answer (until the client gives up).
            while sock.recv(4096):
                pass
        elif path == "/close-now":
            sock.close()
        elif path == "/truncated":
            send(response("200 OK", [("Content-Length", "100")], b"only 20 bytes here\n\n"))
        elif path == "/reset":
            send(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\npartial")
            time.sleep(0.05)
            # SO_LINGER 0: close() sends RST, the client's recv fails (not a clean EOF).
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            sock.close()
        elif path == "/garbage":
            send(b"HTTP/1.1 200 OK\r\nBad Header Line Without Colon\r\n\r\n")
        elif path == "/slow-body":
            send(response("200 OK", [("Content-Length", "10")], b"abc"))
            while sock.recv(4096):
                pass
        elif path == "/big":
            body = bytes(i * 7 % 256 for i in range(3 * 1024 * 1024))
            fixed("200 OK", body, "application/octet-stream")
        else:
            fixed("404 Not Found", b"no such path\n")


class SilentHandler(socketserver.BaseRequestHandler):
    def handle(self):
        # Read (so nothing backs up) until the client gives up; answer nothing.
        while self.request.recv(4096):
            pass


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bind", default="127.0.0.1")
    parser.add_argument("--silent", action="store_true")
    args = parser.parse_args()
    if ":" in args.bind:
        Server.address_family = socket.AF_INET6
    server = Server((args.bind, 0), SilentHandler if args.silent else Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print("PORT %d" % server.server_address[1], flush=True)
    # Serve until the test closes our stdin (or dies, which closes it too).
    sys.stdin.read()


if __name__ == "__main__":
    main()
