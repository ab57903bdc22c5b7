"""Loads the gateway over keep-alive connections while a policy file is replaced.

Usage: policy_reload_load.py PORT POLICY_FILE NEW_TEXT_FILE
Four threads each keep one HTTP/1.1 connection and send GET /api/hello in a loop for 3.5 s. After
1 s the policy file is replaced (written beside it and renamed over it, as editors and config
management do). Prints one JSON object: requests, failures (a status other than 200, or any
connection error), the X-Policy-Version values seen, and how long after the edit the last response
with the old value and the first with the new value were received.
"""
import http.client
import json
import os
import sys
import threading
import time

port, policy_file, new_text_file = int(sys.argv[1]), sys.argv[2], sys.argv[3]
new_text = open(new_text_file).read()
start = time.monotonic()
stop_at = start + 3.5
edit_at = start + 1.0
edited = threading.Event()
lock = threading.Lock()
results = []  # (received time, status, version)
failures = []


def worker():
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    while time.monotonic() < stop_at:
        try:
            connection.request("GET", "/api/hello")
            response = connection.getresponse()
            response.read()
            received = time.monotonic()
            with lock:
                results.append((received, response.status, response.getheader("X-Policy-Version")))
                if response.status != 200:
                    failures.append(f"status {response.status}")
            if response.getheader("Connection", "").lower() == "close":
                failures.append("the gateway closed the connection")
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        except Exception as error:  # noqa: BLE001 - every error is a failure to report
            with lock:
                failures.append(repr(error))
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)


threads = [threading.Thread(target=worker) for _ in range(4)]
for thread in threads:
    thread.start()
time.sleep(max(0.0, edit_at - time.monotonic()))
temporary = policy_file + ".tmp-edit"
with open(temporary, "w") as handle:
    handle.write(new_text)
os.replace(temporary, policy_file)
edit_done = time.monotonic()
for thread in threads:
    thread.join()

old = [t for (t, _, v) in results if v == "one" and t > edit_done]
new = [t for (t, _, v) in results if v == "two"]
print(json.dumps({
    "requests": len(results),
    "failures": failures[:10],
    "failure_count": len(failures),
    "versions": sorted({str(v) for (_, _, v) in results}),
    "last_old_after_edit": (max(old) - edit_done) if old else 0.0,
    "first_new_after_edit": (min(new) - edit_done) if new else None,
    "requests_after_edit": len([1 for (t, _, _) in results if t > edit_done]),
}))
