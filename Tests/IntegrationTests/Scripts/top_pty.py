#!/usr/bin/env python3
"""Runs `portcullis top` under a pseudo-terminal for a while and prints everything it drew.

usage: top_pty.py BINARY SECONDS [ARGUMENTS FOR `portcullis top` ...]

The raw bytes (escape codes included) go to stdout; the exit status of `portcullis top` (or
"signal N" when it was still running and got SIGINT, as Ctrl-C would send) goes to stderr.
"""
import fcntl
import os
import pty
import select
import signal
import struct
import sys
import termios
import time

binary, seconds, arguments = sys.argv[1], float(sys.argv[2]), sys.argv[3:]
pid, fd = pty.fork()
if pid == 0:
    os.execv(binary, [binary, "top"] + arguments)

# A 100 × 40 terminal.
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 100, 0, 0))
output = bytearray()
deadline = time.monotonic() + seconds
finished = False
while time.monotonic() < deadline:
    ready, _, _ = select.select([fd], [], [], 0.05)
    if fd in ready:
        try:
            data = os.read(fd, 65536)
        except OSError:  # EIO: the child closed the terminal
            finished = True
            break
        if not data:
            finished = True
            break
        output += data
if not finished:
    os.kill(pid, signal.SIGINT)
_, status = os.waitpid(pid, 0)
while True:  # whatever was still buffered
    try:
        ready, _, _ = select.select([fd], [], [], 0.05)
        if fd not in ready:
            break
        data = os.read(fd, 65536)
        if not data:
            break
        output += data
    except OSError:
        break
sys.stdout.buffer.write(bytes(output))
sys.stdout.flush()
if os.WIFEXITED(status):
    print(f"exit {os.WEXITSTATUS(status)}", file=sys.stderr)
else:
    print(f"signal {os.WTERMSIG(status)}", file=sys.stderr)
