#!/usr/bin/env python3
# The baseline sockchatd grew out of: the classic socket tutorial's server, one thread per client,
# recv(1024) and sendall(b"hello " + data). Kept as the tutorial has it (default listen() backlog,
# no TCP_NODELAY, no limits) because that is what is being compared; the only additions are the
# port argument, so bench/run.sh can pick a free one, and SO_REUSEADDR, so reruns can bind at once.
import socket
import sys
import threading

HOST = "127.0.0.1"
PORT = int(sys.argv[1]) if len(sys.argv) > 1 else 8000


def handle(conn):
    with conn:
        while True:
            data = conn.recv(1024)
            if not data:
                break
            conn.sendall(b"hello " + data)


with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((HOST, PORT))
    s.listen()
    while True:
        conn, addr = s.accept()
        threading.Thread(target=handle, args=(conn,), daemon=True).start()
