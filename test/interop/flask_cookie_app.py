"""A real Flask app (Debian's python3-flask) for test/interop/flask-cookie.test.ts.

    /usr/bin/python3 flask_cookie_app.py PORT      (0: any free port)

The apps come from the environment, FLASK_COOKIE_APPS = {"<name>": {"secret": "...",
"lifetime": seconds}, ...}: each is its own Flask app with that SECRET_KEY and
PERMANENT_SESSION_LIFETIME, mounted under /<name>, all on one werkzeug server on 127.0.0.1.
Prints "READY <port>" once it listens; exits when stdin closes (so it never outlives the test).

Routes of every app (JSON in, JSON out):
  POST /set   {"expr": <Python dict expression>, "data": {key: typed}, "delete": [key],
               "permanent": bool, "clear": bool, "flash": [[category, message]]}   all optional
              -> changes Flask's session (flash() for each message), then answers as /show
  GET  /show  -> {"permanent": session.permanent, "data": typed(session minus "_permanent")}
  GET  /flashes -> /show's answer after get_flashed_messages(with_categories=True), and
              "flashes": typed(what it returned)

"typed" spells each Python value with its type, so the test sees what Flask holds:
  {"t": "None"} {"t": "bool", "v": b} {"t": "int", "v": "<decimal>"} {"t": "float", "v": repr}
  {"t": "str", "v": s} {"t": "bytes", "v": base64} {"t": "tuple"|"list", "v": [typed]}
  {"t": "dict", "v": [[key, typed]]} {"t": "datetime", "ms": ms since epoch, "utc": tz-aware UTC}
  {"t": "UUID", "v": hex} {"t": "Markup", "v": s}
"""
import base64
import datetime
import json
import logging
import os
import sys
import threading
import uuid

from flask import Flask, Response, flash, get_flashed_messages, request, session
from markupsafe import Markup
from werkzeug.exceptions import NotFound
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.serving import make_server

UTC = datetime.timezone.utc
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=UTC)
NAMES = {
    "datetime": datetime.datetime,
    "timezone": datetime.timezone,
    "UTC": UTC,
    "UUID": uuid.UUID,
    "Markup": Markup,
}


def typed(value):
    # Order matters: bool is an int, Markup is a str.
    if value is None:
        return {"t": "None"}
    if isinstance(value, bool):
        return {"t": "bool", "v": value}
    if isinstance(value, int):
        return {"t": "int", "v": str(value)}
    if isinstance(value, float):
        return {"t": "float", "v": repr(value)}
    if isinstance(value, Markup):
        return {"t": "Markup", "v": str(value)}
    if isinstance(value, str):
        return {"t": "str", "v": value}
    if isinstance(value, bytes):
        return {"t": "bytes", "v": base64.b64encode(value).decode("ascii")}
    if isinstance(value, tuple):
        return {"t": "tuple", "v": [typed(item) for item in value]}
    if isinstance(value, list):
        return {"t": "list", "v": [typed(item) for item in value]}
    if isinstance(value, dict):
        return {"t": "dict", "v": [[key, typed(item)] for key, item in value.items()]}
    if isinstance(value, datetime.datetime):
        utc = value.tzinfo is not None and value.utcoffset() == datetime.timedelta(0)
        aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        return {"t": "datetime", "ms": (aware - EPOCH) // datetime.timedelta(milliseconds=1), "utc": utc}
    if isinstance(value, uuid.UUID):
        return {"t": "UUID", "v": value.hex}
    raise TypeError(f"no typed spelling for {type(value).__name__}")


def build(spec):
    kind = spec["t"]
    if kind == "None":
        return None
    if kind == "bool":
        return bool(spec["v"])
    if kind == "int":
        return int(spec["v"])
    if kind == "float":
        return float(spec["v"])
    if kind == "str":
        return spec["v"]
    if kind == "Markup":
        return Markup(spec["v"])
    if kind == "bytes":
        return base64.b64decode(spec["v"])
    if kind == "tuple":
        return tuple(build(item) for item in spec["v"])
    if kind == "list":
        return [build(item) for item in spec["v"]]
    if kind == "dict":
        return {key: build(item) for key, item in spec["v"]}
    if kind == "datetime":
        return EPOCH + datetime.timedelta(milliseconds=spec["ms"])
    if kind == "UUID":
        return uuid.UUID(hex=spec["v"])
    raise ValueError(f"unknown type {kind!r}")


def answer(**extra):
    data = {key: value for key, value in session.items() if key != "_permanent"}
    body = {"permanent": session.permanent, "data": typed(data), **extra}
    return Response(json.dumps(body), mimetype="application/json")


def make_app(name, config):
    app = Flask(f"flask_cookie_{name}")
    app.secret_key = config["secret"]
    app.config["PERMANENT_SESSION_LIFETIME"] = datetime.timedelta(seconds=config["lifetime"])

    @app.get("/show")
    def show():
        return answer()

    @app.post("/set")
    def set_():
        body = request.get_json(force=True)
        if body.get("clear"):
            session.clear()
        if "expr" in body:
            session.update(eval(body["expr"], dict(NAMES)))
        for key, spec in body.get("data", {}).items():
            session[key] = build(spec)
        for key in body.get("delete", []):
            session.pop(key, None)
        if "permanent" in body:
            session.permanent = body["permanent"]
        for category, message in body.get("flash", []):
            flash(message, category)
        return answer()

    @app.get("/flashes")
    def flashes():
        messages = get_flashed_messages(with_categories=True)
        return answer(flashes=typed(messages))

    return app


def exit_when_stdin_closes():
    sys.stdin.read()
    os._exit(0)


def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    apps = json.loads(os.environ["FLASK_COOKIE_APPS"])
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    mounted = {f"/{name}": make_app(name, config) for name, config in apps.items()}
    server = make_server("127.0.0.1", port, DispatcherMiddleware(NotFound(), mounted), threaded=True)
    threading.Thread(target=exit_when_stdin_closes, daemon=True).start()
    print(f"READY {server.server_port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
