"""Keeps one TLS connection open across a certificate change.

Usage: tls_keepalive.py PORT CAFILE
Sends a request, prints "first <status>", waits for a line on stdin, sends a second request on the
same connection and prints "second <status>".
"""
import socket
import ssl
import sys

port, cafile = int(sys.argv[1]), sys.argv[2]
context = ssl.create_default_context(cafile=cafile)
context.set_alpn_protocols(["http/1.1"])
raw = socket.create_connection(("127.0.0.1", port), timeout=10)
connection = context.wrap_socket(raw, server_hostname="localhost")


def request(path):
    connection.sendall(f"GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode())
    data = b""
    while b"\r\n\r\n" not in data:
        data += connection.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        body += connection.recv(65536)
    return head.split(b" ")[1].decode()


print("first", request("/api/first"), flush=True)
sys.stdin.readline()
print("second", request("/api/second"), flush=True)
