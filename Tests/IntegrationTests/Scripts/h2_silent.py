"""Completes an HTTP/2 handshake (TLS, preface, SETTINGS) and then sends nothing.

Usage: h2_silent.py PORT SECONDS
Prints "goaway <error code> after <s>s" or "closed after <s>s" when the server ends the
connection, or "open after SECONDS s" if it is still open then."""
import socket
import ssl
import sys
import time

import h2.config
import h2.connection
import h2.events

port, limit = int(sys.argv[1]), float(sys.argv[2])
context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
context.check_hostname = False
context.verify_mode = ssl.CERT_NONE
context.set_alpn_protocols(["h2"])
sock = context.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=limit), server_hostname="localhost")
connection = h2.connection.H2Connection(config=h2.config.H2Configuration(client_side=True))
connection.initiate_connection()
sock.sendall(connection.data_to_send())
start = time.monotonic()
try:
    while time.monotonic() - start < limit:
        sock.settimeout(max(0.1, limit - (time.monotonic() - start)))
        data = sock.recv(65536)
        if not data:
            print(f"closed after {time.monotonic() - start:.1f}s")
            sys.exit(0)
        for event in connection.receive_data(data):
            if isinstance(event, h2.events.ConnectionTerminated):
                print(f"goaway {event.error_code} after {time.monotonic() - start:.1f}s")
                sys.exit(0)
        # SETTINGS ACKs only; never a stream.
        sock.sendall(connection.data_to_send())
    print(f"open after {limit:.0f} s")
except socket.timeout:
    print(f"open after {limit:.0f} s")
except (ssl.SSLError, ConnectionError, OSError):
    print(f"closed after {time.monotonic() - start:.1f}s")
