#!/usr/bin/python3
"""boto3's iot-data client against shadowd's HTTP face, for the bats suites.

    iotdata.py get THING [SHADOW]
    iotdata.py update THING PAYLOAD [SHADOW]   PAYLOAD @FILE: the file's bytes
    iotdata.py delete THING [SHADOW]
    iotdata.py list THING [PAGE_SIZE]     every page: {"names":[...],"pages":N}
    iotdata.py page THING PAGE_SIZE [TOKEN]   one page, as answered
    iotdata.py publish TOPIC PAYLOAD QOS RETAIN(true|false)

Prints the answer's JSON on stdout. A refusal prints "ClassName: message"
on stdout, the class being the exception boto3 raised (its modelled class,
or ClientError when the answer named none), and exits 1.
The endpoint is $HTTP_URL; credentials and region come from the usual
AWS environment variables; $HTTP_CA verifies an https endpoint.
CLOCK_SKEW=SECONDS signs with a clock that far behind.
"""
import json
import os
import sys

import boto3
import botocore.config
import botocore.exceptions


def skew_clock(seconds):
    """Make botocore's signer read a clock `seconds` behind."""
    import datetime
    import types
    import botocore.auth
    real = datetime.datetime

    class Behind(real):
        @classmethod
        def utcnow(cls):
            return real.utcnow() - datetime.timedelta(seconds=seconds)

    shim = types.ModuleType("datetime")
    shim.__dict__.update(datetime.__dict__)
    shim.datetime = Behind
    botocore.auth.datetime = shim
    try:  # botocore signs with the AWS CRT when awscrt is installed
        import botocore.crt.auth
        botocore.crt.auth.datetime = shim
    except ImportError:
        pass


def client():
    if os.environ.get("CLOCK_SKEW"):
        skew_clock(int(os.environ["CLOCK_SKEW"]))
    return boto3.client("iot-data", endpoint_url=os.environ["HTTP_URL"],
                        verify=os.environ.get("HTTP_CA") or None,
                        config=botocore.config.Config(
                            retries={"max_attempts": 1}))


def shadow_kw(args, i):
    return {"shadowName": args[i]} if len(args) > i else {}


def run(c, args):
    op = args[0]
    if op == "get":
        r = c.get_thing_shadow(thingName=args[1], **shadow_kw(args, 2))
        return json.loads(r["payload"].read())
    if op == "update":
        if args[2].startswith("@"):
            with open(args[2][1:], "rb") as f:
                payload = f.read()
        else:
            payload = args[2].encode("utf-8", "surrogateescape")
        r = c.update_thing_shadow(thingName=args[1], payload=payload,
                                  **shadow_kw(args, 3))
        return json.loads(r["payload"].read())
    if op == "delete":
        r = c.delete_thing_shadow(thingName=args[1], **shadow_kw(args, 2))
        return json.loads(r["payload"].read())
    if op == "page":
        kw = {"thingName": args[1], "pageSize": int(args[2])}
        if len(args) > 3:
            kw["nextToken"] = args[3]
        r = c.list_named_shadows_for_thing(**kw)
        r.pop("ResponseMetadata", None)
        return r
    if op == "list":
        names, pages, token = [], 0, None
        while True:
            kw = {"thingName": args[1]}
            if len(args) > 2:
                kw["pageSize"] = int(args[2])
            if token:
                kw["nextToken"] = token
            r = c.list_named_shadows_for_thing(**kw)
            names += r["results"]
            pages += 1
            token = r.get("nextToken")
            if not token:
                return {"names": names, "pages": pages}
    if op == "publish":
        c.publish(topic=args[1], payload=args[2].encode(), qos=int(args[3]),
                  retain=args[4] == "true")
        return {}
    raise SystemExit("iotdata.py: unknown operation " + op)


def main():
    try:
        out = run(client(), sys.argv[1:])
    except botocore.exceptions.ClientError as e:
        print("%s: %s" % (type(e).__name__,
                          e.response.get("Error", {}).get("Message", "")))
        return 1
    print(json.dumps(out, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
