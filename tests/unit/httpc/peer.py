#!/usr/bin/env python3
"""A plain HTTP(S) peer for tests/unit/test_httpc.c, on 127.0.0.1 only.

Usage: peer.py CERTDIR  (a directory made by certs.example/make-certs.sh
with the names broker and shadowctl)

Prints "HTTP HTTPS MTLS BADNAME" (four port numbers) on one line, then
serves until its parent process is gone:
  HTTP     plain HTTP
  HTTPS    TLS with CERTDIR/broker's certificate (names 127.0.0.1)
  MTLS     the same, and a client certificate from the CA is required
  BADNAME  TLS with a certificate from the same CA naming wrong.example
Paths:
  /echo...        200, JSON: method, path, query, headers (lowercased names),
                  body, and the client certificate's CN when there is one
  /error/NAME     404, x-amzn-ErrorType: NAME:http://internal.example/,
                  body {"message": "no such thing"}
  /stall          reads the request and never answers (until 60 s)
  /big/N          200 with N bytes of 'x'
"""
import json
import os
import ssl
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def answer(self, status, body, headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        if parts.path.startswith("/echo"):
            cn = None
            if isinstance(self.connection, ssl.SSLSocket):
                cert = self.connection.getpeercert()
                if cert:
                    cn = dict(x[0] for x in cert["subject"]).get("commonName")
            doc = {"method": self.command, "path": parts.path,
                   "query": parts.query,
                   "headers": {k.lower(): v for k, v in self.headers.items()},
                   "body": body.decode("utf-8", "replace"),
                   "client_cn": cn}
            self.answer(200, json.dumps(doc).encode(),
                        [("Content-Type", "application/json")])
        elif parts.path.startswith("/error/"):
            name = parts.path[len("/error/"):]
            self.answer(404, b'{"message": "no such thing"}',
                        [("x-amzn-ErrorType",
                          name + ":http://internal.example/"),
                         ("Content-Type", "application/json")])
        elif parts.path == "/stall":
            time.sleep(60)
        elif parts.path.startswith("/big/"):
            self.answer(200, b"x" * int(parts.path[5:]))
        else:
            self.answer(404, b'{"message": "no route"}')

    do_GET = do_POST = do_DELETE = do_PUT = handle_any


def server(context=None):
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    if context is not None:
        srv.socket = context.wrap_socket(srv.socket, server_side=True)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv.server_address[1]


def tls_context(certdir, name, require_client=False, cert=None, key=None):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert or os.path.join(certdir, name, "certificate.pem"),
                        key or os.path.join(certdir, name, "privateKey.pem"))
    if require_client:
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.load_verify_locations(os.path.join(certdir, "ca",
                                               "AmazonRootCA1.pem"))
    return ctx


def wrong_name_cert(certdir):
    """A server certificate from the CA for wrong.example, not 127.0.0.1."""
    d = os.path.join(certdir, "wrongname")
    os.makedirs(d, exist_ok=True)
    key, csr, crt = (os.path.join(d, f) for f in
                     ("privateKey.pem", "req.csr", "certificate.pem"))
    ext = os.path.join(d, "ext.cnf")
    with open(ext, "w") as f:
        f.write("subjectAltName = DNS:wrong.example\n"
                "extendedKeyUsage = serverAuth\n")
    if not os.path.exists(crt):
        run = lambda *a: subprocess.run(a, check=True, capture_output=True)
        run("openssl", "genpkey", "-algorithm", "EC", "-pkeyopt",
            "ec_paramgen_curve:P-256", "-out", key)
        run("openssl", "req", "-new", "-key", key, "-subj",
            "/CN=wrong.example", "-out", csr)
        run("openssl", "x509", "-req", "-in", csr, "-CA",
            os.path.join(certdir, "ca", "AmazonRootCA1.pem"), "-CAkey",
            os.path.join(certdir, "ca", "ca.key"), "-CAcreateserial",
            "-days", "30", "-extfile", ext, "-out", crt)
    return crt, key


def main():
    certdir = sys.argv[1]
    parent = os.getppid()
    crt, key = wrong_name_cert(certdir)
    ports = [server(), server(tls_context(certdir, "broker")),
             server(tls_context(certdir, "broker", require_client=True)),
             server(tls_context(certdir, None, cert=crt, key=key))]
    print(" ".join(str(p) for p in ports), flush=True)
    # Serve until the test that started us is gone.
    while os.getppid() == parent:
        time.sleep(0.2)


if __name__ == "__main__":
    main()
