#!/usr/bin/env python3
"""Run one command, print "SECONDS EXITCODE" (wall time, monotonic clock) on stdout; the
command's own stdout goes to --stdout FILE, its stderr to --stderr FILE (default: discarded).

usage: wall.py [--stdout F] [--stderr F] -- CMD ARGS...
"""
import subprocess
import sys
import time


def main():
    args = sys.argv[1:]
    out = err = None
    while args and args[0] != "--":
        if args[0] == "--stdout":
            out, args = args[1], args[2:]
        elif args[0] == "--stderr":
            err, args = args[1], args[2:]
        else:
            raise SystemExit(__doc__)
    cmd = args[1:]
    fo = open(out, "wb") if out else subprocess.DEVNULL
    fe = open(err, "wb") if err else subprocess.DEVNULL
    t0 = time.monotonic()
    p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=fo, stderr=fe)
    print("%.3f %d" % (time.monotonic() - t0, p.returncode))


if __name__ == "__main__":
    main()
