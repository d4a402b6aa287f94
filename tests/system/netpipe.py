#!/usr/bin/env python3
"""A tiny line-oriented nc for the system test, runs inside the container.

netpipe.py HOST PORT
    Connects, copies standard input to the socket and everything the server sends to standard
    output (flushed as it arrives). When the server closes the connection it prints the line
    "[closed]" and exits 0. Standard input at its end is not a reason to stop.

netpipe.py HOST PORT --expect TEXT [--send LINE] [--timeout S]
    Connects, sends LINE (if given, with a newline), reads until a line containing TEXT
    arrives (exit 0) or the timeout passes (exit 1); prints what it received either way.
"""
import argparse
import os
import selectors
import socket
import sys
import time


def pipe(sock: socket.socket) -> int:
    sel = selectors.DefaultSelector()
    sel.register(sock, selectors.EVENT_READ)
    try:
        sel.register(sys.stdin.fileno(), selectors.EVENT_READ)
        stdin_open = True
    except PermissionError:  # /dev/null or a regular file: nothing to wait for
        stdin_open = False
    out = sys.stdout.buffer
    while True:
        for key, _ in sel.select():
            if key.fileobj is sock:
                data = sock.recv(65536)
                if not data:
                    out.write(b"[closed]\n")
                    out.flush()
                    return 0
                out.write(data)
                out.flush()
            elif stdin_open:
                data = os.read(sys.stdin.fileno(), 65536)
                if not data:
                    sel.unregister(sys.stdin.fileno())
                    stdin_open = False
                else:
                    sock.sendall(data)


def expect(sock: socket.socket, text: str, send: str | None, timeout: float) -> int:
    if send is not None:
        sock.sendall(send.encode() + b"\n")
    deadline = time.monotonic() + timeout
    received = b""
    while time.monotonic() < deadline:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            data = sock.recv(65536)
        except socket.timeout:
            break
        if not data:
            break
        received += data
        if text.encode() in received:
            sys.stdout.write(received.decode(errors="replace"))
            return 0
    sys.stdout.write(received.decode(errors="replace"))
    return 1


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("host")
    parser.add_argument("port", type=int)
    parser.add_argument("--expect")
    parser.add_argument("--send")
    parser.add_argument("--timeout", type=float, default=5.0)
    args = parser.parse_args()
    sock = socket.create_connection((args.host, args.port), timeout=args.timeout)
    sock.settimeout(None)
    if args.expect is None:
        return pipe(sock)
    return expect(sock, args.expect, args.send, args.timeout)


if __name__ == "__main__":
    sys.exit(main())
