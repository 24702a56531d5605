#!/usr/bin/env python3
"""Requests signed by real clients, for tests/unit/test_sigv4.c.

Prints one JSON object a line: the request as it went on the wire (method,
path, query, headers, SHA-256 of the body), the secret it was signed with,
the time to verify at, and what sigv4_verify must answer ("ok", "signature",
"clock", "scope").

- botocore's iot-data client (what boto3 and the AWS CLI run), captured just
  before sending: thing names that need encoding (a:b), the shadow $package,
  a Publish topic with '/' and a space, query strings, a session token.
- botocore.auth.SigV4Auth used directly, for the service name
  iotdevicegateway and another region.
- curl --aws-sigv4 (Debian 12's 7.88 signs the path as it stands, encoded
  once): accepted for a plain path, refused for a:b, as AWS refuses it.
Nothing leaves 127.0.0.1: the client's send is cut off by a before-send
hook, and curl talks to a one-shot listener in this script.
"""
import hashlib
import json
import socket
import subprocess
import sys
import threading
import time
import urllib.parse

import botocore.session
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

AKID = "AKIDSHADOWTEST"
SECRET = "shadow/secret+KEY0123456789abcdefghijklmnop"


class Captured(Exception):
    pass


def emit(name, method, url, headers, body, secret=SECRET, expect="ok",
         now=None):
    parts = urllib.parse.urlsplit(url)
    hdrs = [[k, v.decode() if isinstance(v, bytes) else v]
            for k, v in headers.items()]
    if not any(k.lower() == "host" for k, _ in hdrs):
        hdrs.append(["Host", parts.netloc])
    print(json.dumps({
        "name": name, "method": method, "path": parts.path,
        "query": parts.query, "headers": hdrs,
        "payload_hash": hashlib.sha256(body or b"").hexdigest(),
        "secret": secret, "now": int(time.time()) if now is None else now,
        "expect": expect}))


def client_requests():
    session = botocore.session.get_session()
    client = session.create_client(
        "iot-data", region_name="us-east-1",
        endpoint_url="http://127.0.0.1:9", aws_access_key_id=AKID,
        aws_secret_access_key=SECRET, aws_session_token=None)
    token_client = session.create_client(
        "iot-data", region_name="eu-west-1",
        endpoint_url="https://127.0.0.1:8443", aws_access_key_id=AKID,
        aws_secret_access_key=SECRET,
        aws_session_token="FwoGZXIvYXdzEJr//////////wEaDAbc+/=token")
    calls = [
        ("client get a:b", client, "get_thing_shadow",
         {"thingName": "a:b"}),
        ("client get a:b $package", client, "get_thing_shadow",
         {"thingName": "a:b", "shadowName": "$package"}),
        ("client update $package", client, "update_thing_shadow",
         {"thingName": "lamp", "shadowName": "$package",
          "payload": b'{"state":{"desired":{"MOTOR":"ON"}}}'}),
        ("client delete a:b", client, "delete_thing_shadow",
         {"thingName": "a:b"}),
        ("client list with paging", client,
         "list_named_shadows_for_thing",
         {"thingName": "a:b", "pageSize": 7,
          "nextToken": "k/+=~ x:y"}),
        ("client publish topic with /", client, "publish",
         {"topic": "a/b c/$x", "qos": 1, "retain": True,
          "payload": b"hello"}),
        ("client session token", token_client, "get_thing_shadow",
         {"thingName": "a:b", "shadowName": "$package"}),
    ]
    for name, c, op, args in calls:
        seen = []

        def capture(request, **kwargs):
            seen.append(request)
            raise Captured()
        c.meta.events.register("before-send", capture)
        try:
            getattr(c, op)(**args)
        except Captured:
            pass
        c.meta.events.unregister("before-send", capture)
        r = seen[0]
        emit(name, r.method, r.url, r.headers, r.body)
        if name == "client get a:b":
            emit("wrong secret", r.method, r.url, r.headers, r.body,
                 secret=SECRET + "x", expect="signature")
            emit("clock 6 minutes ahead", r.method, r.url, r.headers,
                 r.body, expect="clock", now=int(time.time()) + 360)
            emit("clock 4 minutes ahead", r.method, r.url, r.headers,
                 r.body, now=int(time.time()) + 240)


def direct_requests():
    creds = Credentials(AKID, SECRET)
    for service, expect in (("iotdevicegateway", "ok"), ("iotdata", "ok"),
                            ("execute-api", "scope")):
        url = "https://data-ats.iot.ap-south-1.amazonaws.com" \
              "/things/a%3Ab/shadow?name=%24package"
        req = AWSRequest(method="POST", url=url, data=b'{"state":{}}')
        SigV4Auth(creds, service, "ap-south-1").add_auth(req)
        emit("SigV4Auth service " + service, "POST", url, req.headers,
             b'{"state":{}}', expect=expect)


def curl_request(path, name, expect):
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    port = srv.getsockname()[1]
    got = {}

    def serve():
        conn, _ = srv.accept()
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                break
            data += chunk
        got["raw"] = data
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n"
                     b"Connection: close\r\n\r\n")
        conn.close()
    t = threading.Thread(target=serve)
    t.start()
    # The key goes on stdin (-K -), not in curl's argv.
    subprocess.run(["curl", "-sS", "-o", "/dev/null", "-K", "-",
                    "--aws-sigv4", "aws:amz:us-east-1:iotdata",
                    "http://127.0.0.1:%d%s" % (port, path)],
                   input='user = "%s:%s"\n' % (AKID, SECRET), text=True,
                   check=True, timeout=30)
    t.join(30)
    srv.close()
    head = got["raw"].decode().split("\r\n\r\n")[0].split("\r\n")
    method, target, _ = head[0].split(" ")
    headers = {}
    for line in head[1:]:
        k, v = line.split(":", 1)
        headers[k] = v.strip()
    emit(name, method, "http://127.0.0.1:%d%s" % (port, target), headers,
         b"", expect=expect)


def main():
    client_requests()
    direct_requests()
    curl_request("/things/lamp/shadow", "curl --aws-sigv4 plain path", "ok")
    curl_request("/things/a%3Ab/shadow", "curl --aws-sigv4 a:b (raw path)",
                 "signature")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
