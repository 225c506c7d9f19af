#!/usr/bin/env python3
"""Read hyperfine --export-json files.

  hf.py median FILE [INDEX]     median wall time of command INDEX (default 0), in seconds
  hf.py show FILE               one line per command: median, mean ± stddev, min, max (ms)
  hf.py ratio FILE A B          median(A) / median(B), by command index
"""
import json
import sys


def results(path):
    with open(path) as f:
        return json.load(f)["results"]


def main():
    cmd, path = sys.argv[1], sys.argv[2]
    r = results(path)
    if cmd == "median":
        print("%.6f" % r[int(sys.argv[3]) if len(sys.argv) > 3 else 0]["median"])
    elif cmd == "show":
        for x in r:
            fails = sum(1 for c in x.get("exit_codes", []) if c)
            print("  %-28s median %9.1f ms   mean %9.1f ± %6.1f ms   min %9.1f   max %9.1f   (%d runs%s)" % (
                x["command"][:28], x["median"] * 1e3, x["mean"] * 1e3, (x.get("stddev") or 0) * 1e3,
                x["min"] * 1e3, x["max"] * 1e3, len(x["times"]),
                ", %d non-zero exits" % fails if fails else ""))
    elif cmd == "ratio":
        a, b = int(sys.argv[3]), int(sys.argv[4])
        print("%.2f" % (r[a]["median"] / r[b]["median"]))
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
