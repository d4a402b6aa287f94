#!/usr/bin/env python3
# The classic socket tutorial's chat server, the baseline for sockchatd's chat service: blocking
# sockets, one thread per client, a list of client sockets behind a lock, and every message a
# client sends is broadcast to all the others with sendall() while the lock is held (so one
# client that does not read blocks everyone: that is the design being compared, not a bug to fix).
# Kept as the tutorial has it (default listen() backlog, no TCP_NODELAY, no limits, no nicks); the
# additions are:
#   - --port, so bench/run_chat.sh can pick a free one (0 = any free port, printed on stdout);
#   - SO_REUSEADDR, so reruns can bind at once;
#   - a broadcast is cut at the last newline received and the rest kept for the next recv: the
#     tutorial broadcasts whatever recv(1024) returned, which under load splits a line between
#     two broadcasts and lets another client's line land in the middle of it. Whole lines are
#     what a chat server owes its clients, and what chat_load checks.
import argparse
import socket
import threading

HOST = "127.0.0.1"

clients = []
clients_lock = threading.Lock()


def broadcast(message, sender):
    with clients_lock:
        for client in list(clients):
            if client is sender:
                continue
            try:
                client.sendall(message)
            except OSError:
                # A client that went away: drop it, as the tutorial does.
                client.close()
                clients.remove(client)


def handle(conn):
    pending = b""
    try:
        while True:
            data = conn.recv(1024)
            if not data:
                break
            pending += data
            end = pending.rfind(b"\n") + 1
            if end:
                broadcast(pending[:end], conn)
                pending = pending[end:]
    except OSError:
        pass
    finally:
        with clients_lock:
            if conn in clients:
                clients.remove(conn)
        conn.close()


def main():
    parser = argparse.ArgumentParser(description="the socket tutorial's chat server")
    parser.add_argument("--port", type=int, default=8001, help="0 = any free port (printed)")
    args = parser.parse_args()
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((HOST, args.port))
        s.listen()
        if args.port == 0:
            print(s.getsockname()[1], flush=True)
        while True:
            conn, addr = s.accept()
            with clients_lock:
                clients.append(conn)
            threading.Thread(target=handle, args=(conn,), daemon=True).start()


if __name__ == "__main__":
    main()
