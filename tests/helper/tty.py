#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
# tty.py TRANSCRIPT PASSWORD|- COMMAND...: run COMMAND with a pseudo-terminal
# as its controlling terminal and nothing else, the way a person runs
# `T=$(apitoken create x --user me)`: stdin, stdout and stderr stay this
# program's, only /dev/tty is the terminal.  Each password prompt on the
# terminal is answered with PASSWORD ("-": never answered, end of input
# instead).  What the terminal showed goes to TRANSCRIPT; the exit status
# is COMMAND's.  Bounded: a command still running after 30 s is killed.
import fcntl
import os
import select
import signal
import sys
import termios
import time

transcript, password, argv = sys.argv[1], sys.argv[2], sys.argv[3:]
master, slave = os.openpty()
pid = os.fork()
if pid == 0:
    os.close(master)
    os.setsid()
    fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
    os.close(slave)
    os.execvp(argv[0], argv)
os.close(slave)
seen = b""
answered = 0
done, status = 0, 0
deadline = time.monotonic() + 30
while time.monotonic() < deadline:
    ready, _, _ = select.select([master], [], [], 0.2)
    if ready:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            # EIO: no process has the terminal open at this moment
            chunk = b""
            time.sleep(0.05)
        seen += chunk
        # one answer per prompt: count the prompts seen so far
        if seen.count(b"assword:") > answered:
            answered += 1
            if password == "-":
                os.write(master, b"\x04")
            else:
                os.write(master, password.encode() + b"\n")
    done, status = os.waitpid(pid, os.WNOHANG)
    if done:
        break
else:
    os.kill(pid, signal.SIGKILL)
    done, status = os.waitpid(pid, 0)
    seen += b"\n[tty.py: killed after 30 s]\n"
if not done:
    done, status = os.waitpid(pid, 0)
# what the command wrote just before it exited
while select.select([master], [], [], 0)[0]:
    try:
        chunk = os.read(master, 4096)
    except OSError:
        break
    if not chunk:
        break
    seen += chunk
with open(transcript, "wb") as f:
    f.write(seen)
sys.exit(os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else 1)
