#!/usr/bin/env python3
# The classic tutorial's client, unchanged but for the optional host/port arguments so the suite
# can point it at an ephemeral port: connect, send "Wilson" (no newline), one recv(1024), print.
import socket
import sys

HOST = sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1"
PORT = int(sys.argv[2]) if len(sys.argv) > 2 else 8000

with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
    s.connect((HOST, PORT))
    s.sendall(b"Wilson")
    data = s.recv(1024)

print(data.decode("utf-8"))
