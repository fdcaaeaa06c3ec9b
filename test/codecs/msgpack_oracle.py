"""Debian's python3-msgpack as an oracle for test/codecs/msgpack.test.ts.

One JSON request per line on stdin, one JSON answer per line on stdout:
  {"op": "repack", "hex": h}
      -> {"hex": packb(unpackb(bytes.fromhex(h)))}, with datetimes for the timestamp
         extension both ways, or {"error": exception class name} when Python cannot read it
  {"op": "pack", "expr": <Python expression>} -> {"hex": packb(value)}
msgpack-python's defaults are msgspec's choices (shortest ints, float64, str for text, bin for
bytes), so Python writing back what it read must give tessera's bytes unchanged.
"""
import datetime
import json
import sys

import msgpack

NAMES = {"datetime": datetime.datetime, "timezone": datetime.timezone}


def pack(value):
    return msgpack.packb(value, datetime=True)


def answer(request):
    if request["op"] == "repack":
        try:
            value = msgpack.unpackb(bytes.fromhex(request["hex"]), timestamp=3)
        except Exception as error:  # noqa: BLE001 - the class name is the answer
            return {"error": type(error).__name__}
        return {"hex": pack(value).hex()}
    if request["op"] == "pack":
        return {"hex": pack(eval(request["expr"], NAMES)).hex()}
    raise ValueError(f"unknown op {request['op']!r}")


for line in sys.stdin:
    try:
        reply = answer(json.loads(line))
    except Exception as error:  # noqa: BLE001 - reported to the test, which fails
        reply = {"failure": f"{type(error).__name__}: {error}"}
    sys.stdout.write(json.dumps(reply) + "\n")
    sys.stdout.flush()
