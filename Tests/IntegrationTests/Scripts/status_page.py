#!/usr/bin/python3
"""Loads a page in headless Chromium, lets it run for real (wall-clock) seconds, then prints its
rendered DOM and optionally saves a full-page screenshot.

Chromium is driven over the DevTools protocol on --remote-debugging-pipe (file descriptors 3
and 4, JSON messages ended by NUL), so only the standard library is needed. Unlike --dump-dom
with --virtual-time-budget, timers fire at their real pace: a page that polls every second has
polled about SECONDS times, with real time between the polls.

usage: status_page.py URL SECONDS [SCREENSHOT.png [WIDTH]]
"""
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

url, seconds = sys.argv[1], float(sys.argv[2])
screenshot = sys.argv[3] if len(sys.argv) > 3 else None
width = int(sys.argv[4]) if len(sys.argv) > 4 else 1280

profile = tempfile.mkdtemp(prefix="portcullis-chromium-")
to_browser_read, to_browser_write = os.pipe()
from_browser_read, from_browser_write = os.pipe()


def give_pipes():
    # Chromium reads commands on fd 3 and writes answers on fd 4 (both kept open through exec).
    os.dup2(to_browser_read, 3)
    os.dup2(from_browser_write, 4)
    os.set_inheritable(3, True)
    os.set_inheritable(4, True)


browser = subprocess.Popen(
    ["/usr/bin/chromium", "--headless=new", "--disable-gpu", "--no-sandbox", "--disable-dev-shm-usage",
     "--no-first-run", "--disable-extensions", "--hide-scrollbars", "--remote-debugging-pipe",
     "--user-data-dir=" + profile, "--window-size=%d,900" % width, "about:blank"],
    pass_fds=(3, 4), preexec_fn=give_pipes,
    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
os.close(to_browser_read)
os.close(from_browser_write)
pending = b""
next_id = 0


def call(method, params=None, session=None, timeout=30):
    """Sends one command and returns its result (events in between are skipped)."""
    global pending, next_id
    next_id += 1
    message = {"id": next_id, "method": method, "params": params or {}}
    if session:
        message["sessionId"] = session
    os.write(to_browser_write, json.dumps(message).encode() + b"\0")
    deadline = time.time() + timeout
    while time.time() < deadline:
        while b"\0" in pending:
            raw, pending = pending.split(b"\0", 1)
            answer = json.loads(raw)
            if answer.get("id") == next_id:
                if "error" in answer:
                    raise RuntimeError("%s: %s" % (method, answer["error"]))
                return answer.get("result", {})
        chunk = os.read(from_browser_read, 1 << 20)
        if not chunk:
            raise RuntimeError("chromium closed the pipe during " + method)
        pending += chunk
    raise RuntimeError("no answer to " + method)


try:
    target = call("Target.createTarget", {"url": "about:blank"})["targetId"]
    session = call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
    call("Page.enable", session=session)
    call("Emulation.setDeviceMetricsOverride", {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": False}, session=session)
    call("Page.navigate", {"url": url}, session=session)
    time.sleep(seconds)

    def evaluate(expression):
        return call("Runtime.evaluate", {"expression": expression, "returnByValue": True}, session=session)["result"].get("value")

    dom = evaluate("document.documentElement.outerHTML")
    if screenshot:
        height = int(evaluate("document.documentElement.scrollHeight"))
        call("Emulation.setDeviceMetricsOverride", {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False}, session=session)
        time.sleep(0.3)
        png = call("Page.captureScreenshot", {"format": "png"}, session=session)["data"]
        with open(screenshot, "wb") as file:
            file.write(base64.b64decode(png))
    sys.stdout.write(dom)
    try:
        call("Browser.close", timeout=5)
    except RuntimeError:
        pass
finally:
    try:
        browser.wait(timeout=10)
    except subprocess.TimeoutExpired:
        browser.kill()
        browser.wait()
    shutil.rmtree(profile, ignore_errors=True)
