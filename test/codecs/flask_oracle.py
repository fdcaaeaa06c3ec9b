"""The real Flask (Debian's python3-flask) as an oracle for test/codecs/flask*.test.ts.

One JSON request per line on stdin, one JSON answer per line on stdout:
  {"op": "dumps", "data": <Python expression>, "secret": s, "timestamp": n}
      -> {"cookie": Flask's session cookie value for that data, signed at that second}
  {"op": "loads", "cookie": c, "secret": s or [oldest, ..., newest], "max_age": n, "now": n,
   "expect": <Python expression>}
      -> {"ok": true, "same": <loaded data equals expect, types included>, "repr": repr(data)}
      or {"ok": false, "error": exception class name}
  {"op": "redump", "cookie": c, "secret": s, "timestamp": n}
      -> {"cookie": Flask's cookie for the data Flask loads from c (no max age)}
  {"op": "float_repr", "values": [JavaScript's String(number), ...]} -> {"reprs": [repr(float)]}
A list of secrets is itsdangerous's key rotation (oldest first), with Flask's own salt, key
derivation, digest and serializer.
"""
import datetime
import hashlib
import json
import sys
import uuid
from unittest import mock

from flask import Flask
from flask.sessions import session_json_serializer
from itsdangerous import URLSafeTimedSerializer
from itsdangerous.timed import TimestampSigner
from markupsafe import Markup

NAMES = {
    "datetime": datetime.datetime,
    "timezone": datetime.timezone,
    "UUID": uuid.UUID,
    "Markup": Markup,
}


def serializer(app, secret):
    if isinstance(secret, list):
        iface = app.session_interface
        return URLSafeTimedSerializer(
            secret_key=secret,
            salt=iface.salt,
            serializer=iface.serializer,
            signer_kwargs={
                "key_derivation": iface.key_derivation,
                "digest_method": iface.digest_method,
            },
        )
    app.secret_key = secret
    return app.session_interface.get_signing_serializer(app)


def same(a, b):
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a == b


def handle(app, request):
    op = request["op"]
    if op == "float_repr":
        return {"reprs": [repr(float(text)) for text in request["values"]]}
    with app.app_context():
        s = serializer(app, request["secret"])
        if op == "dumps":
            data = eval(request["data"], dict(NAMES))
            with mock.patch.object(TimestampSigner, "get_timestamp", return_value=request["timestamp"]):
                return {"cookie": s.dumps(data)}
        if op == "redump":
            data = s.loads(request["cookie"])
            with mock.patch.object(TimestampSigner, "get_timestamp", return_value=request["timestamp"]):
                return {"cookie": s.dumps(data)}
        if op == "loads":
            now = request.get("now")
            patch = mock.patch.object(TimestampSigner, "get_timestamp", return_value=now) if now is not None else mock.MagicMock()
            with patch:
                try:
                    data = s.loads(request["cookie"], max_age=request.get("max_age"))
                except Exception as error:
                    return {"ok": False, "error": type(error).__name__}
            answer = {"ok": True, "repr": repr(data)}
            if "expect" in request:
                answer["same"] = same(data, eval(request["expect"], dict(NAMES)))
            return answer
    raise ValueError(f"unknown op {op!r}")


def main():
    app = Flask("oracle")
    assert session_json_serializer is app.session_interface.serializer
    for line in sys.stdin:
        try:
            answer = handle(app, json.loads(line))
        except Exception as error:
            answer = {"failure": f"{type(error).__name__}: {error}"}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
