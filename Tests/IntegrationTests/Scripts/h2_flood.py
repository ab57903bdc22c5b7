"""Floods an HTTP/2 connection with SETTINGS or PING frames without reading the answers.

Usage: h2_flood.py PORT settings|ping COUNT
Sends COUNT frames in batches of 100, never reading what the server sends back, then reads.
Prints "goaway <error code>" if the server sent GOAWAY, "closed" if it closed the connection,
or "survived" if it answered every frame and kept the connection open.

Usage: h2_flood.py PORT settings|ping until-closed SECONDS
Keeps sending for at most SECONDS, never reading. Prints "closed after N frames" once the server
has closed the connection (a send fails), or "open after SECONDS s, N frames"."""
import socket
import ssl
import sys

import h2.config
import h2.connection
import h2.events
import h2.exceptions
import h2.settings

port, kind = int(sys.argv[1]), sys.argv[2]
until_closed = sys.argv[3] == "until-closed"
count = 0 if until_closed else int(sys.argv[3])
context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
context.check_hostname = False
context.verify_mode = ssl.CERT_NONE
context.set_alpn_protocols(["h2"])
raw = socket.create_connection(("127.0.0.1", port), timeout=10)
sock = context.wrap_socket(raw, server_hostname="localhost")
connection = h2.connection.H2Connection(config=h2.config.H2Configuration(client_side=True))
connection.initiate_connection()
sock.sendall(connection.data_to_send())


def frame(index):
    if kind == "ping":
        connection.ping(index.to_bytes(8, "big"))
    else:
        # h2 waits for an ACK before applying local settings; the frames go out regardless.
        connection.update_settings({h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS: 100 + index % 2})


if until_closed:
    import time
    seconds = float(sys.argv[4])
    deadline = time.monotonic() + seconds
    sock.settimeout(1)
    sent = 0
    try:
        while time.monotonic() < deadline:
            for _ in range(100):
                frame(sent)
                sent += 1
            sock.sendall(connection.data_to_send())
    except socket.timeout:
        print(f"stalled after {sent} frames (the server stopped reading, the connection is open)")
        sys.exit(0)
    except (ssl.SSLError, ConnectionError, OSError):
        print(f"closed after {sent} frames")
        sys.exit(0)
    print(f"open after {seconds:g} s, {sent} frames")
    sys.exit(0)

try:
    sent = 0
    while sent < count:
        batch = min(100, count - sent)
        for index in range(batch):
            frame(sent + index)
        sock.sendall(connection.data_to_send())
        sent += batch
    sock.settimeout(2)
    while True:
        try:
            data = sock.recv(1 << 20)
        except socket.timeout:
            print("survived")
            break
        if not data:
            print("closed")
            break
        try:
            events = connection.receive_data(data)
        except h2.exceptions.ProtocolError:
            events = []
        ended = [e for e in events if isinstance(e, h2.events.ConnectionTerminated)]
        if ended:
            print(f"goaway {ended[0].error_code}")
            break
except (ssl.SSLError, ConnectionError, OSError):
    print("closed")
