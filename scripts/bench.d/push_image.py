#!/usr/bin/env python3
"""Push a tiny image (config blob + one gzipped layer + a schema2 manifest) through the registry
HTTP API, answering a Bearer challenge with an anonymous token. Standard library only.

usage: push_image.py --registry 127.0.0.1:PORT --ca CA.crt --repo bench/tiny --tag 1
"""
import argparse
import gzip
import hashlib
import http.client
import io
import json
import re
import ssl
import tarfile
import urllib.parse


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--registry", required=True)
    ap.add_argument("--ca", required=True)
    ap.add_argument("--repo", default="bench/tiny")
    ap.add_argument("--tag", default="1")
    a = ap.parse_args()
    ctx = ssl.create_default_context(cafile=a.ca)
    token = {"value": None}

    def request(method, url, body=None, headers=None, _retry=True):
        u = urllib.parse.urlsplit(url if "://" in url else f"https://{a.registry}{url}")
        conn = http.client.HTTPSConnection(u.hostname, u.port, context=ctx, timeout=10)
        h = dict(headers or {})
        if token["value"] and u.netloc == a.registry:
            h["Authorization"] = "Bearer " + token["value"]
        path = u.path + ("?" + u.query if u.query else "")
        conn.request(method, path, body=body, headers=h)
        r = conn.getresponse()
        data = r.read()
        conn.close()
        if r.status == 401 and _retry and u.netloc == a.registry:
            chal = r.getheader("WWW-Authenticate", "")
            params = dict(re.findall(r'(\w+)="([^"]*)"', chal))
            q = urllib.parse.urlencode({"service": params.get("service", ""),
                                        "scope": f"repository:{a.repo}:pull,push"})
            status, _, tbody = request("GET", params["realm"] + "?" + q, _retry=False)
            if status != 200:
                raise SystemExit(f"token request failed: {status} {tbody[:200]!r}")
            token["value"] = json.loads(tbody)["token"]
            return request(method, url, body, headers, _retry=False)
        return r.status, r, data

    def blob(data):
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        status, r, body = request("POST", f"/v2/{a.repo}/blobs/uploads/")
        if status != 202:
            raise SystemExit(f"upload start: {status} {body[:300]!r}")
        loc = urllib.parse.urljoin(f"https://{a.registry}/", r.getheader("Location"))
        loc += ("&" if "?" in loc else "?") + "digest=" + urllib.parse.quote(digest)
        status, _, body = request("PUT", loc, body=data, headers={
            "Content-Type": "application/octet-stream", "Content-Length": str(len(data))})
        if status != 201:
            raise SystemExit(f"upload {digest}: {status} {body[:300]!r}")
        return digest

    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        content = b"hello from the regdoctor benchmark\n"
        info = tarfile.TarInfo("hello.txt")
        info.size, info.mtime, info.mode = len(content), 0, 0o644
        tar.addfile(info, io.BytesIO(content))
    tar_bytes = raw.getvalue()
    layer = gzip.compress(tar_bytes, mtime=0)
    config = json.dumps({
        "architecture": "amd64", "os": "linux", "created": "2024-01-01T00:00:00Z",
        "config": {"Cmd": ["/hello.txt"]},
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(tar_bytes).hexdigest()]},
        "history": [{"created": "2024-01-01T00:00:00Z", "created_by": "regdoctor bench"}],
    }, separators=(",", ":")).encode()
    manifest = json.dumps({
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {"mediaType": "application/vnd.docker.container.image.v1+json",
                   "size": len(config), "digest": blob(config)},
        "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                    "size": len(layer), "digest": blob(layer)}],
    }, indent=3).encode()
    status, r, body = request("PUT", f"/v2/{a.repo}/manifests/{a.tag}", body=manifest, headers={
        "Content-Type": "application/vnd.docker.distribution.manifest.v2+json"})
    if status != 201:
        raise SystemExit(f"manifest: {status} {body[:300]!r}")
    print(f"pushed {a.registry}/{a.repo}:{a.tag} {r.getheader('Docker-Content-Digest')}")


if __name__ == "__main__":
    main()
