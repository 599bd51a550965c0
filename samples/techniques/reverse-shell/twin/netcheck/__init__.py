# Near-miss twin: a health check that connects, sends a ping and reads the answer.
import socket


def ping(host, port):
    with socket.create_connection((host, port), timeout=5) as s:
        s.sendall(b"PING\r\n")
        return s.recv(64)
