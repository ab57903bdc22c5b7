"""One HTTP/2 request, then the connection is kept open until the server ends it.

Usage: h2_idle.py PORT
Prints "response <status>" after the request, then "goaway <error code>" or "closed" when the
server ends the connection (or "timeout" after 20 s)."""
import socket
import ssl
import sys
import time

import h2.config
import h2.connection
import h2.events

port = int(sys.argv[1])
context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
context.check_hostname = False
context.verify_mode = ssl.CERT_NONE
context.set_alpn_protocols(["h2"])
sock = context.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=20), server_hostname="localhost")
connection = h2.connection.H2Connection(config=h2.config.H2Configuration(client_side=True))
connection.initiate_connection()
connection.send_headers(1, [(":method", "GET"), (":path", "/api/idle"), (":scheme", "https"), (":authority", "localhost")], end_stream=True)
sock.sendall(connection.data_to_send())
deadline = time.time() + 20
answered = False
while time.time() < deadline:
    try:
        data = sock.recv(65536)
    except (ssl.SSLError, ConnectionError, OSError):
        print("closed", flush=True)
        sys.exit(0)
    if not data:
        print("closed", flush=True)
        sys.exit(0)
    for event in connection.receive_data(data):
        if isinstance(event, h2.events.ResponseReceived) and not answered:
            answered = True
            status = dict(event.headers).get(b":status", b"?").decode()
            print("response", status, flush=True)
        if isinstance(event, h2.events.ConnectionTerminated):
            print("goaway", event.error_code, flush=True)
            sys.exit(0)
    sock.sendall(connection.data_to_send())
print("timeout", flush=True)
