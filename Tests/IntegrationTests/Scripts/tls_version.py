"""Tries one TLS version against a port. Usage: tls_version.py PORT VERSION (1.0, 1.1, 1.2, 1.3).
Prints "ok <negotiated version>" or "refused <reason>"."""
import socket
import ssl
import sys

port, version = int(sys.argv[1]), sys.argv[2]
versions = {"1.0": ssl.TLSVersion.TLSv1, "1.1": ssl.TLSVersion.TLSv1_1, "1.2": ssl.TLSVersion.TLSv1_2, "1.3": ssl.TLSVersion.TLSv1_3}
context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
context.check_hostname = False
context.verify_mode = ssl.CERT_NONE
# Let the client offer old versions at all (OpenSSL 3 hides them above security level 0).
context.set_ciphers("ALL:@SECLEVEL=0")
context.minimum_version = versions[version]
context.maximum_version = versions[version]
try:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
        with context.wrap_socket(raw, server_hostname="localhost") as connection:
            print("ok", connection.version())
except (ssl.SSLError, ConnectionError, OSError) as error:
    print("refused", type(error).__name__, error)
