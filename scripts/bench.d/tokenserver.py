#!/usr/bin/env python3
"""A Docker registry token server (the "token" auth scheme), Python standard library only.

It grants every requested scope to anyone, anonymous included: the benchmark measures the
protocol's cost, not an access policy. Tokens are JWTs signed with RS256 by an RSA key made with
openssl (read here from PKCS#1 DER), carrying the signing certificate in `x5c`, which the
registry verifies against its `rootcertbundle`. Served over HTTPS on 127.0.0.1 only, and it
exits by itself after --lifetime seconds.

usage: tokenserver.py --port P --key-der K.der --cert-pem C.pem --tls-cert S.crt --tls-key S.key
                      --issuer I --service S [--lifetime 3600]
"""
import argparse
import base64
import hashlib
import json
import os
import ssl
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def der_read(data, pos):
    """One DER element at pos: (tag, content bytes, next position)."""
    tag = data[pos]
    length = data[pos + 1]
    pos += 2
    if length & 0x80:
        n = length & 0x7F
        length = int.from_bytes(data[pos:pos + n], "big")
        pos += n
    return tag, data[pos:pos + length], pos + length


def rsa_private_key(der):
    """(n, d) from a PKCS#1 RSAPrivateKey, or from a PKCS#8 PrivateKeyInfo wrapping one."""
    tag, body, _ = der_read(der, 0)
    assert tag == 0x30, "not a DER SEQUENCE"
    _, _, pos = der_read(body, 0)
    tag, _, pos = der_read(body, pos)
    if tag == 0x30:  # PKCS#8: version, AlgorithmIdentifier, OCTET STRING(RSAPrivateKey)
        tag, inner, _ = der_read(body, pos)
        assert tag == 0x04
        return rsa_private_key(inner)
    ints, pos = [], 0
    while pos < len(body) and len(ints) < 9:
        tag, content, pos = der_read(body, pos)
        assert tag == 0x02
        ints.append(int.from_bytes(content, "big"))
    _version, n, _e, d = ints[:4]
    return n, d


SHA256_DIGEST_INFO = bytes.fromhex("3031300d060960864801650304020105000420")


def rs256(n, d, message):
    k = (n.bit_length() + 7) // 8
    t = SHA256_DIGEST_INFO + hashlib.sha256(message).digest()
    em = b"\x00\x01" + b"\xff" * (k - len(t) - 3) + b"\x00" + t
    return pow(int.from_bytes(em, "big"), d, n).to_bytes(k, "big")


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def parse_scope(scope):
    # repository:bench/tiny:pull,push  (the name may hold a port-less path only)
    parts = scope.split(":")
    if len(parts) < 3:
        return None
    return {"type": parts[0], "name": ":".join(parts[1:-1]), "actions": parts[-1].split(",")}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--key-der", required=True)
    ap.add_argument("--cert-pem", required=True)
    ap.add_argument("--tls-cert", required=True)
    ap.add_argument("--tls-key", required=True)
    ap.add_argument("--issuer", required=True)
    ap.add_argument("--service", required=True)
    ap.add_argument("--lifetime", type=float, default=3600)
    a = ap.parse_args()

    with open(a.key_der, "rb") as f:
        n, d = rsa_private_key(f.read())
    cert_der = ssl.PEM_cert_to_DER_cert(open(a.cert_pem).read())
    header = b64url(json.dumps({"typ": "JWT", "alg": "RS256",
                                "x5c": [base64.b64encode(cert_der).decode()]}).encode())
    cache = {}
    lock = threading.Lock()

    def token_for(scopes):
        key = tuple(sorted(scopes))
        now = int(time.time())
        with lock:
            hit = cache.get(key)
            if hit and hit[1] > now + 60:
                return hit[0]
        access = [s for s in (parse_scope(x) for x in scopes) if s]
        claims = {"iss": a.issuer, "sub": "anonymous", "aud": a.service, "exp": now + 600,
                  "nbf": now - 10, "iat": now, "jti": os.urandom(8).hex(), "access": access}
        signing_input = (header + "." + b64url(json.dumps(claims).encode())).encode()
        tok = signing_input.decode() + "." + b64url(rs256(n, d, signing_input))
        with lock:
            cache[key] = (tok, now + 600)
        return tok

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body are two writes: with Nagle on, the body would wait for the client's
        # delayed ACK (40 ms on Linux). Real token servers (Go) set TCP_NODELAY too.
        disable_nagle_algorithm = True

        def do_GET(self):
            url = urllib.parse.urlsplit(self.path)
            if url.path != "/token":
                self.send_error(404)
                return
            q = urllib.parse.parse_qs(url.query)
            scopes = [s for v in q.get("scope", []) for s in v.split(" ") if s]
            tok = token_for(scopes)
            body = json.dumps({"token": tok, "access_token": tok, "expires_in": 600,
                               "issued_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_POST = do_GET  # OAuth2 form posts get the same anonymous grant

        def log_message(self, *args):
            pass

    srv = ThreadingHTTPServer(("127.0.0.1", a.port), Handler)
    srv.daemon_threads = True
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(a.tls_cert, a.tls_key)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    threading.Timer(a.lifetime, srv.shutdown).start()
    srv.serve_forever()


if __name__ == "__main__":
    main()
