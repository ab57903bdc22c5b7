"""HTTP/2 POSTs whose end of stream comes in a frame of its own, after a pause.

Usage: h2_split_end.py PORT TOKEN...
For each bearer token, in order, on one connection: HEADERS (POST /api/ping, no content-length, no
END_STREAM), 200 ms later an empty DATA frame with END_STREAM. Prints "response <status>" for each
stream as it is answered, or "timeout" when one is not answered within 5 s."""
import socket
import ssl
import sys
import time

import h2.config
import h2.connection
import h2.events

port, tokens = int(sys.argv[1]), sys.argv[2:]
context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
context.check_hostname = False
context.verify_mode = ssl.CERT_NONE
context.set_alpn_protocols(["h2"])
sock = context.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=5), server_hostname="localhost")
connection = h2.connection.H2Connection(config=h2.config.H2Configuration(client_side=True))
connection.initiate_connection()
sock.sendall(connection.data_to_send())
for index, token in enumerate(tokens):
    stream = 1 + 2 * index
    connection.send_headers(stream, [(":method", "POST"), (":path", "/api/ping"), (":scheme", "https"), (":authority", "localhost"), ("authorization", "Bearer " + token)], end_stream=False)
    sock.sendall(connection.data_to_send())
    time.sleep(0.2)
    connection.send_data(stream, b"", end_stream=True)
    sock.sendall(connection.data_to_send())
    deadline = time.time() + 5
    status = None
    while status is None and time.time() < deadline:
        try:
            data = sock.recv(65536)
        except socket.timeout:
            break
        if not data:
            break
        for event in connection.receive_data(data):
            if isinstance(event, h2.events.ResponseReceived) and event.stream_id == stream:
                status = dict(event.headers).get(b":status", b"?").decode()
        sock.sendall(connection.data_to_send())
    print("response", status if status else "timeout", flush=True)
