#!/usr/bin/env python3
"""Write a synthetic CI log of about --size-mb MB: ordinary build output (docker build, apt,
npm, cargo, pytest, kubectl lines, some with terminal colours, GitHub Actions timestamps) with
--errors real docker/podman/containerd/kubelet registry error lines scattered at random places.
Deterministic for a given --seed.

Prints the number of lines written and of error lines injected. `--phrases` prints instead the
grep -E alternation of the ten phrases the injected lines use (the peer's pattern).
"""
import argparse
import random

# Each: (phrase that grep looks for, weight, real error line templates).
ERRORS = [
    ("x509: certificate signed by unknown authority", 6, [
        'Error response from daemon: Get "https://{reg}/v2/": tls: failed to verify certificate: x509: certificate signed by unknown authority',
        'ERROR: failed to solve: failed to push {reg}/{repo}:{tag}: failed to do request: Head "https://{reg}/v2/{repo}/blobs/sha256:{sha}": tls: failed to verify certificate: x509: certificate signed by unknown authority',
        'Error: initializing source docker://{reg}/{repo}:{tag}: pinging container registry {reg}: Get "https://{reg}/v2/": x509: certificate signed by unknown authority',
    ]),
    ("toomanyrequests", 5, [
        'Error response from daemon: toomanyrequests: You have reached your pull rate limit. You may increase the limit by authenticating and upgrading: https://www.docker.com/increase-rate-limit',
        'Warning  Failed     {n}s (x3 over 2m)  kubelet  Failed to pull image "docker.io/library/{img}:{tag}": rpc error: code = Unknown desc = failed to pull and unpack image "docker.io/library/{img}:{tag}": failed to copy: httpReadSeeker: failed open: unexpected status code https://registry-1.docker.io/v2/library/{img}/manifests/sha256:{sha}: 429 Too Many Requests - Server message: toomanyrequests: You have reached your pull rate limit. You may increase the limit by authenticating and upgrading: https://www.docker.com/increase-rate-limit',
    ]),
    ("no such host", 5, [
        'Error response from daemon: Get "https://{reg}/v2/": dial tcp: lookup {host} on 127.0.0.53:53: no such host',
        'Failed to pull image "{reg}/{repo}:{tag}": rpc error: code = Unknown desc = failed to pull and unpack image "{reg}/{repo}:{tag}": failed to resolve reference "{reg}/{repo}:{tag}": failed to do request: Head "https://{reg}/v2/{repo}/manifests/{tag}": dial tcp: lookup {host} on 10.96.0.10:53: no such host',
    ]),
    ("unauthorized: authentication required", 4, [
        'unauthorized: authentication required',
        'Error response from daemon: Head "https://{reg}/v2/{repo}/manifests/{tag}": unauthorized: authentication required',
        'Error: writing blob: initiating layer upload to /v2/{repo}/blobs/uploads/ in {reg}: unauthorized: authentication required',
    ]),
    ("manifest unknown", 4, [
        'Error response from daemon: manifest for {reg}/{repo}:{tag} not found: manifest unknown: manifest unknown',
        'Error: initializing source docker://{reg}/{repo}:{tag}: reading manifest {tag} in {reg}/{repo}: manifest unknown',
    ]),
    ("connection refused", 3, [
        'Error response from daemon: Get "https://{reg}/v2/": dial tcp {ip}:5000: connect: connection refused',
    ]),
    ("i/o timeout", 3, [
        'ERROR: failed to solve: {img}:{tag}: failed to resolve source metadata for docker.io/library/{img}:{tag}: failed to authorize: failed to fetch anonymous token: Get "https://auth.docker.io/token?scope=repository%3Alibrary%2F{img}%3Apull&service=registry.docker.io": dial tcp {ip}:443: i/o timeout',
    ]),
    ("certificate has expired", 2, [
        'Error response from daemon: Get "https://{reg}/v2/": x509: certificate has expired or is not yet valid: current time 2024-03-08T10:15:02Z is after 2024-02-29T23:59:59Z',
    ]),
    ("server gave HTTP response to HTTPS client", 2, [
        'Error response from daemon: Get "https://{reg}/v2/": http: server gave HTTP response to HTTPS client',
    ]),
    ("denied: requested access to the resource is denied", 2, [
        'denied: requested access to the resource is denied',
    ]),
]

ORDINARY = [
    "Step {a}/{b} : RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates curl",
    " ---> Running in {hex12}",
    " ---> {hex12}",
    "Removing intermediate container {hex12}",
    "#{a} [build {a}/{b}] RUN npm ci --omit=dev",
    "#{a} {f}.{n} added {n} packages, and audited {m} packages in {n}s",
    "#{a} DONE {f}.{n}s",
    "#{a} sha256:{sha} {n}.{a}MB / {m}.{b}MB {f}.{n}s",
    "Get:{n} http://deb.debian.org/debian bookworm/main amd64 lib{word}{a} amd64 {a}.{b}.{n}-1 [{m} kB]",
    "Setting up lib{word}{a}:amd64 ({a}.{b}.{n}-1) ...",
    "Unpacking {word}-common ({a}.{b}-{n}) ...",
    "npm WARN deprecated {word}@{a}.{b}.{n}: This package is no longer supported.",
    "   Compiling {word} v{a}.{b}.{n}",
    "    Finished `release` profile [optimized] target(s) in {m}.{n}s",
    "test {word}::tests::{word}_{word} ... ok",
    "tests/test_{word}.py::test_{word}_{word}[{n}] PASSED                               [{pct}%]",
    "INFO  [{word}] processed {m} records in {n} ms",
    "deployment.apps/{word}-{word} configured",
    "Pulling fs layer",
    "{hex12}: Downloading [=========>                                         ]  {n}.{a}MB/{m}.{b}MB",
    "{hex12}: Pull complete",
    "Digest: sha256:{sha}",
    "Status: Downloaded newer image for {reg}/{repo}:{tag}",
    "The push refers to repository [{reg}/{repo}]",
    "{hex12}: Pushed",
    "{tag}: digest: sha256:{sha} size: {m}",
    "warning: unused variable: `{word}`",
    "  --> src/{word}.rs:{m}:{n}",
    "[{word}] {m} files changed, {n} insertions(+), {a} deletions(-)",
    "Downloading https://files.pythonhosted.org/packages/{hex12}/{word}-{a}.{b}.{n}-py3-none-any.whl ({m} kB)",
    "\x1b[32m✓\x1b[39m {word} {word} renders ({n} ms)",
    "\x1b[1m\x1b[33mwarning\x1b[0m\x1b[1m:\x1b[0m field `{word}` is never read",
    "> Task :{word}:compileJava UP-TO-DATE",
    "[INFO] Building {word}-{word} {a}.{b}.{n}-SNAPSHOT",
    "Run actions/checkout@v4",
    "##[group]Run docker/build-push-action@v5",
    "##[endgroup]",
]
WORDS = ("alpha api auth build cache client core crypto data db deploy edge event gateway http "
         "image index io json kube layer log mesh metrics net node parser proxy queue redis "
         "render runtime schema server session shell store stream sync task tls token tool "
         "util web worker").split()
REGS = ["registry.lab.example:5000", "harbor.corp.example", "ghcr.io", "quay.io",
        "registry.internal:5000", "123456789012.dkr.ecr.eu-west-1.amazonaws.com",
        "registry.cn-hangzhou.aliyuncs.com", "docker.io"]
IMGS = ["nginx", "node", "python", "postgres", "redis", "golang", "alpine"]


def fill(rng, tpl):
    reg = rng.choice(REGS)
    return tpl.format(
        a=rng.randint(1, 20), b=rng.randint(1, 30), n=rng.randint(0, 999), m=rng.randint(100, 99999),
        f=rng.randint(0, 99), pct=rng.randint(0, 100), word=rng.choice(WORDS),
        hex12="%012x" % rng.getrandbits(48), sha="%064x" % rng.getrandbits(256),
        reg=reg, host=reg.split(":")[0], repo=rng.choice(WORDS) + "/" + rng.choice(WORDS),
        tag=rng.choice(["1.0", "2.1.3", "latest", "ci-%d" % rng.randint(1, 999)]),
        img=rng.choice(IMGS), ip="10.%d.%d.%d" % (rng.randint(0, 255), rng.randint(0, 255), rng.randint(1, 254)),
    )


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out")
    ap.add_argument("--size-mb", type=float, default=100)
    ap.add_argument("--errors", type=int, default=300)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--phrases", action="store_true")
    a = ap.parse_args()
    if a.phrases:
        print("|".join(p for p, _, _ in ERRORS))
        return
    rng = random.Random(a.seed)
    # A pool of filled-in ordinary lines, reused: generating 100 MB stays a matter of seconds.
    pool = [fill(rng, rng.choice(ORDINARY)) for _ in range(20000)]
    target = int(a.size_mb * 1024 * 1024)
    avg = sum(len(l) + 30 for l in pool) / len(pool)
    n_lines = int(target / avg)
    error_at = set(rng.sample(range(n_lines), min(a.errors, n_lines)))
    weights = [w for _, w, _ in ERRORS]
    written = injected = lines = 0
    sec = 1709892902  # 2024-03-08T10:15:02Z
    with open(a.out, "w", encoding="utf-8", newline="\n") as out:
        chunk = []
        for i in range(n_lines):
            if i % 500 == 0:
                sec += 1
            ts = "2024-03-08T%02d:%02d:%02d.%07dZ " % ((sec // 3600) % 24, (sec // 60) % 60, sec % 60, (i * 7919) % 10000000)
            if i in error_at:
                _, _, tpls = rng.choices(ERRORS, weights)[0]
                line = ts + fill(rng, rng.choice(tpls))
                injected += 1
            else:
                line = ts + pool[rng.getrandbits(14) % len(pool)]
            chunk.append(line)
            lines += 1
            if len(chunk) >= 10000:
                s = "\n".join(chunk) + "\n"
                out.write(s)
                written += len(s)
                chunk = []
        if chunk:
            s = "\n".join(chunk) + "\n"
            out.write(s)
            written += len(s)
    print(f"{lines} lines, {injected} registry error lines")


if __name__ == "__main__":
    main()
