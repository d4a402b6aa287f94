#!/usr/bin/env python3
# The classic tutorial's chat client, reduced to one scripted line. What matters is kept as the
# tutorial has it: the text is sent as input() returns it, without a newline, and the client then
# blocks in recv(1024). The differences are for the test's sake: host/port arguments, a timeout
# (fail, not hang), and it stops once its own message has come back instead of looping forever.
import socket
import sys

HOST = sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1"
PORT = int(sys.argv[2]) if len(sys.argv) > 2 else 8001

with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
    s.settimeout(10)  # a test must fail, not hang, if no answer comes
    s.connect((HOST, PORT))
    s.sendall(b"Wilson")
    received = b""
    # Keep reading until our own message comes back (the greeting arrives first).
    while b"> Wilson" not in received:
        data = s.recv(1024)
        if not data:
            break
        received += data
print(received.decode("utf-8"), end="")
