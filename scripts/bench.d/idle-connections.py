"""Holds N idle keep-alive connections open to a proxy, for scripts/bench's memory rows.

    python3 idle-connections.py HOST PORT COUNT [--tls CA_FILE]

Each connection sends one GET /2b and reads the whole response, then stays open and silent.
Prints "ready N" once all are open (N: how many the proxy answered), then waits until its
standard input closes, and closes them all.
"""
import socket
import ssl
import sys


def read_response(sock):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            raise ConnectionError("closed before the response head")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        chunk = sock.recv(4096)
        if not chunk:
            raise ConnectionError("closed mid-body")
        body += chunk
    if not head.startswith(b"HTTP/1.1 200"):
        raise ConnectionError(head.split(b"\r\n")[0].decode(errors="replace"))


def main():
    host, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    context = None
    if len(sys.argv) > 5 and sys.argv[4] == "--tls":
        context = ssl.create_default_context(cafile=sys.argv[5])
        context.set_alpn_protocols(["http/1.1"])
    request = f"GET /2b HTTP/1.1\r\nHost: localhost:{port}\r\n\r\n".encode()
    held = []
    failed = 0
    for _ in range(count):
        try:
            sock = socket.create_connection((host, port), timeout=10)
            if context is not None:
                sock = context.wrap_socket(sock, server_hostname="localhost")
            sock.sendall(request)
            read_response(sock)
            held.append(sock)
        except (OSError, ConnectionError) as error:
            failed += 1
            if failed == 1:
                print(f"warning: {error}", file=sys.stderr, flush=True)
    print(f"ready {len(held)}", flush=True)
    sys.stdin.read()
    for sock in held:
        sock.close()


main()
