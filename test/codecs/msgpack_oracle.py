"""Debian's python3-msgpack as an oracle for test/codecs/msgpack.test.ts.

One JSON request per line on stdin, one JSON answer per line on stdout:
  {"op": "repack", "hex": h}
      -> {"hex": packb(unpackb(bytes.fromhex(h)))}, with datetimes for the timestamp
         extension both ways, or {"error": exception class name} when Python cannot read it
  {"op": "pack", "expr": <Python expression>} -> {"hex": packb(value)}
  {"op": "json-keys", "hex": h}
      -> {"data": {name: value}} for the map h: each key named as json.dumps(skipkeys=True)
         names it (42 -> "42", None -> "null", 1.5 -> "1.5"; bytes, tuples, datetimes and
         extensions left out), the later of two entries with the same name winning
Maps are read with any key type (strict_map_key=False), as msgspec, Flask-Session's
serializer, reads them.
msgpack-python's defaults are msgspec's choices (shortest ints, float64, str for text, bin for
bytes), so Python writing back what it read must give tessera's bytes unchanged.
"""
import datetime
import json
import sys

import msgpack

NAMES = {"datetime": datetime.datetime, "timezone": datetime.timezone, "ExtType": msgpack.ExtType}


def pack(value):
    return msgpack.packb(value, datetime=True)


def unpack(data):
    return msgpack.unpackb(data, timestamp=3, strict_map_key=False)


def json_name(key):
    """The name json.dumps(skipkeys=True) gives a dict key, or None when it leaves it out."""
    if isinstance(key, list):  # an array key, unhashable as Python reads it
        return None
    names = list(json.loads(json.dumps({key: 0}, skipkeys=True)))
    return names[0] if names else None


def json_keys(data):
    # The map's entries as written, before a Python dict merges keys that compare equal (1 and True).
    pairs = msgpack.unpackb(data, timestamp=3, strict_map_key=False, object_pairs_hook=list)
    named = {}
    for key, value in pairs:
        name = json_name(key)
        if name is not None:
            named[name] = value
    return named


def answer(request):
    if request["op"] == "repack":
        try:
            value = unpack(bytes.fromhex(request["hex"]))
        except Exception as error:  # noqa: BLE001 - the class name is the answer
            return {"error": type(error).__name__}
        return {"hex": pack(value).hex()}
    if request["op"] == "json-keys":
        return {"data": json_keys(bytes.fromhex(request["hex"]))}
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
