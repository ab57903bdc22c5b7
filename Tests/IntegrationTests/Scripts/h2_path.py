"""Sends one HTTP/2 GET whose :path is given in hex (any bytes), without the client library's
own header checks, and prints the response status, or "reset"/"closed".

Usage: h2_path.py PORT PATH_HEX [NAME VALUE_HEX]   (an optional extra header, value in hex)"""
import socket
import ssl
import sys

import h2.config
import h2.connection
import h2.events

port, path = int(sys.argv[1]), bytes.fromhex(sys.argv[2])
extra = [(sys.argv[3].encode(), bytes.fromhex(sys.argv[4]))] if len(sys.argv) > 4 else []
context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
context.check_hostname = False
context.verify_mode = ssl.CERT_NONE
context.set_alpn_protocols(["h2"])
sock = context.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=10), server_hostname="localhost")
config = h2.config.H2Configuration(client_side=True, validate_outbound_headers=False, normalize_outbound_headers=False)
connection = h2.connection.H2Connection(config=config)
connection.initiate_connection()
connection.send_headers(1, [(b":method", b"GET"), (b":path", path), (b":scheme", b"https"), (b":authority", b"localhost")] + extra, end_stream=True)
sock.sendall(connection.data_to_send())
while True:
    data = sock.recv(65536)
    if not data:
        print("closed")
        break
    events = connection.receive_data(data)
    sock.sendall(connection.data_to_send())
    done = False
    for event in events:
        if isinstance(event, h2.events.ResponseReceived):
            print(dict(event.headers)[b":status"].decode())
            done = True
        elif isinstance(event, (h2.events.StreamReset, h2.events.ConnectionTerminated)):
            print("reset")
            done = True
    if done:
        break
