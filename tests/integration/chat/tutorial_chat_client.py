#!/usr/bin/env python3
# The classic tutorial's chat client, unchanged but for the host/port arguments and one line
# of scripted input: it sends the text without a newline and waits on recv for the answer.
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
