#!/usr/bin/env python3
"""Summarise a regdoctor --json report for the benchmark output.

  report.py checks FILE       status and duration of each check, then the findings
  report.py findings FILE     each finding: code, category, severity, and its stalled-step evidence
  report.py categories FILE   the finding categories, comma-separated (errors and warnings first)
  report.py explain FILE      the ranked causes of an explain report, with how many lines matched
"""
import json
import sys


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        raise SystemExit(f"no usable regdoctor JSON in {path}: {e}")


def findings(r):
    out = []
    for f in r.get("findings", []):
        ev = "; ".join(f"{e['label']}: {e['value']}" for e in f.get("evidence", [])
                       if e["label"] in ("stalled step", "handshake", "result", "finding", "status"))
        out.append(f"finding {f['code']} {f['category']} ({f['severity']}){' [' + f['check'] + ']' if f.get('check') else ''}"
                   f"{': ' + ev if ev else ''}")
    return out


def main():
    cmd, path = sys.argv[1], sys.argv[2]
    r = load(path)
    if cmd == "checks":
        print(f"report: status {r.get('status')}, {r.get('duration_ms')} ms")
        for c in r.get("checks", []):
            print(f"check {c['id']:<6} {c['status']:<7} {c['duration_ms']:>5} ms  {c.get('summary') or c.get('skip_reason') or ''}"[:200])
        for line in findings(r):
            print(line[:200])
    elif cmd == "findings":
        for line in findings(r):
            print(line[:300])
    elif cmd == "categories":
        fs = sorted(r.get("findings", []), key=lambda f: f["severity"] == "info")
        cats = []
        for f in fs:
            if f["category"] not in cats:
                cats.append(f["category"])
        print(",".join(cats) or "none")
    elif cmd == "explain":
        for f in r.get("findings", [])[:12]:
            n = sum(1 + l.get("repeats", 0) for l in f.get("lines", []))
            print(f"cause {f['code']} {f['category']} score {f.get('score')} (example lines {n})")
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
