#!/usr/bin/env python3
"""Runs a command and kills it with SIGKILL at a chosen point (crash_consistency_test.sh).

Usage:
  crash_kill.py time SECONDS -- CMD...       SIGKILL after SECONDS of wall time
  crash_kill.py bytes FOLDER N -- CMD...     SIGKILL as soon as a temporary output file in FOLDER
                                             (a name holding ".podpower-tmp-") that was not there
                                             before the start has >= N bytes

Prints one line: "killed" (the process was still running and got SIGKILL) or "exited RC" (it
ended first; the kill point lay past its end). Polls every 0.2 ms, so a byte point is hit while
the writer is still writing unless the file grows from below N to complete within that time.
The command's stdout and stderr go to /dev/null. Exit status 0 unless this script itself fails.
"""
import os
import signal
import subprocess
import sys
import time

MARKER = ".podpower-tmp-"


def temp_names(folder):
    try:
        return {e.name for e in os.scandir(folder) if MARKER in e.name}
    except FileNotFoundError:
        return set()


def temp_size(folder, ignore):
    """The largest temporary output file in folder (bytes) not named in ignore, -1 when there is
    none."""
    best = -1
    try:
        with os.scandir(folder) as it:
            for e in it:
                if MARKER in e.name and e.name not in ignore:
                    try:
                        best = max(best, e.stat(follow_symlinks=False).st_size)
                    except FileNotFoundError:
                        pass  # renamed or removed between listing and stat
    except FileNotFoundError:
        pass
    return best


def main(argv):
    sep = argv.index("--")
    mode, args, cmd = argv[1], argv[2:sep], argv[sep + 1:]
    # Leftovers of earlier killed runs are not this run's output.
    before = temp_names(args[0]) if mode == "bytes" else set()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if mode == "time":
        deadline = time.monotonic() + float(args[0])
        while time.monotonic() < deadline and proc.poll() is None:
            time.sleep(min(0.001, max(0.0, deadline - time.monotonic())))
    elif mode == "bytes":
        folder, need = args[0], int(args[1])
        while proc.poll() is None and temp_size(folder, before) < need:
            time.sleep(0.0002)
    else:
        raise SystemExit(f"crash_kill.py: unknown mode {mode!r}")
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        print("killed")
    else:
        print(f"exited {proc.returncode}")


if __name__ == "__main__":
    main(sys.argv)
