"""What every Flask-Session 0.8 backend shares, for the real Flask apps (Debian's python3-flask)
that tessera's interop tests run: flask_session_app.py (Redis) and
flask_session_sqlalchemy_app.py (SQL, through Flask-SQLAlchemy).

Flask-Session 0.6+ is not packaged for Debian bookworm (it has 0.3.2), and PyPI is out of
reach, so its interface is reproduced here, line for line where it matters, from Flask-Session
0.8.0's flask_session/base.py (ServerSideSession, MsgSpecSerializer, ServerSideSessionInterface:
_generate_sid, _get_signer/_sign/_unsign, _get_store_id, should_set_storage, regenerate,
save_session, open_session). Sources: pallets-eco/flask-session at tag 0.8.0 (65c05ea,
2024-03-26), src/flask_session/base.py lines 26-94 (ServerSideSession), 111-148
(MsgSpecSerializer), 151-358 (ServerSideSessionInterface); the same file as installed from PyPI,
github.com/km0513/team-manager at 2653c24, venv/Lib/site-packages/flask_session/base.py
(__init__.py there says __version__ = "0.8.0"). Defaults from flask_session/defaults.py
(SESSION_KEY_PREFIX "session:", SESSION_PERMANENT True, SESSION_ID_LENGTH 32,
SESSION_SERIALIZATION_FORMAT "msgpack").

One substitution, for what Debian does not package: msgspec. python3-msgpack writes the same
MessagePack for session data (shortest ints, float64, str/bin, tz-aware datetime as the timestamp
extension; `default` turns what msgspec writes as text, such as a naive datetime or a UUID, into
that text), and json with compact separators and UTF-8 stands for msgspec.json.

SESSION_USE_SIGNER (deprecated in 0.7, default False) is on by default in these apps because
tessera signs its session id cookies: itsdangerous Signer(secret_key, salt="flask-session",
key_derivation="hmac"), SHA-1.

Configuration comes from the environment, FLASK_SESSION_APP = {"secret": s, "prefix": p,
"serializer": "msgpack"|"json", "lifetime": seconds, "use_signer": bool, "permanent": bool,
...the backend's own keys}. An app prints "READY <port>" once it listens; exits when stdin
closes, so it never outlives the test.

Routes (JSON in, JSON out; "typed" spells each Python value with its type, see typed()):
  POST /set  {"expr": <Python dict expression>, "delete": [key], "clear": bool,
              "permanent": bool}   all optional -> changes the session, then answers as /show
  GET  /show -> {"sid": session.sid, "permanent": session.permanent,
                 "data": typed(session minus "_permanent")}
                (a dict is typed as its [key, typed(value)] pairs, a key that is not text typed too)
  POST /regenerate -> session_interface.regenerate(session), then answers as /show
  GET  /sign?value=v -> {"signed": the signer's sign(v)}
and any a backend adds (see its make_interface).
"""
import base64
import datetime
import json
import logging
import os
import secrets
import sys
import threading
import uuid
import warnings
from abc import ABC, abstractmethod
from contextlib import suppress

import msgpack
from flask import Flask, Response, request, session
from flask.sessions import SessionInterface as FlaskSessionInterface
from flask.sessions import SessionMixin
from itsdangerous import BadSignature, Signer, want_bytes
from werkzeug.datastructures import CallbackDict
from werkzeug.serving import make_server

UTC = datetime.timezone.utc
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=UTC)
NAMES = {
    "datetime": datetime.datetime,
    "timezone": datetime.timezone,
    "UTC": UTC,
    "uuid": uuid,
    "ExtType": msgpack.ExtType,
}


class ServerSideSession(CallbackDict, SessionMixin):
    # flask_session/base.py, 0.8.0
    def __bool__(self) -> bool:
        return bool(dict(self)) and self.keys() != {"_permanent"}

    def __init__(self, initial=None, sid=None, permanent=None):
        def on_update(self):
            self.modified = True
            self.accessed = True

        CallbackDict.__init__(self, initial, on_update)
        self.sid = sid
        if permanent:
            self.permanent = permanent
        self.modified = False
        self.accessed = False

    def __getitem__(self, key):
        self.accessed = True
        return super().__getitem__(key)

    def get(self, key, default=None):
        self.accessed = True
        return super().get(key, default)

    def setdefault(self, key, default=None):
        self.accessed = True
        return super().setdefault(key, default)

    def clear(self):
        """Clear the session except for the '_permanent' key."""
        permanent = self.get("_permanent", False)
        super().clear()
        self["_permanent"] = permanent


def msgspec_text(value):
    # What msgspec writes as text in MessagePack and JSON (naive datetime, date, time, UUID,
    # Decimal), and the arrays it writes for sets.
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, (set, frozenset)):
        return list(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    raise TypeError(f"Encoding objects of type {type(value).__name__} is unsupported")


def json_default(value):
    if isinstance(value, datetime.datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(value).decode("ascii")
    return msgspec_text(value)


class MsgpackEncoder:
    def encode(self, value):
        return msgpack.packb(value, datetime=True, default=msgspec_text)


class MsgpackDecoder:
    # msgspec reads a map key of any type (Python's {42: 1}); msgpack-python only text and
    # bytes unless strict_map_key=False.
    def decode(self, data):
        return msgpack.unpackb(data, timestamp=3, strict_map_key=False)


class JsonEncoder:
    def encode(self, value):
        text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=json_default)
        return text.encode("utf-8")


class JsonDecoder:
    def decode(self, data):
        return json.loads(data)


DECODE_ERRORS = (ValueError, TypeError, msgpack.ExtraData, msgpack.FormatError, msgpack.StackError)


class MsgSpecSerializer:
    # flask_session/base.py, 0.8.0 (msgspec.DecodeError is a ValueError)
    def __init__(self, app, format):
        self.app = app
        if format == "msgpack":
            self.encoder = MsgpackEncoder()
            self.decoder = MsgpackDecoder()
            self.alternate_decoder = JsonDecoder()
        elif format == "json":
            self.encoder = JsonEncoder()
            self.decoder = JsonDecoder()
            self.alternate_decoder = MsgpackDecoder()
        else:
            raise ValueError(f"Unsupported serialization format: {format}")

    def encode(self, session):
        try:
            return self.encoder.encode(dict(session))
        except Exception as e:
            self.app.logger.error(f"Failed to serialize session data: {e}")
            raise

    def decode(self, serialized_data):
        with suppress(*DECODE_ERRORS):
            return self.decoder.decode(serialized_data)
        with suppress(*DECODE_ERRORS):
            return self.alternate_decoder.decode(serialized_data)
        # 0.8.0 tries pickle next; tessera never writes pickle, so this app stops here.
        self.app.logger.error("Failed to deserialize session data", exc_info=True)
        raise ValueError("Failed to deserialize session data")


class ServerSideSessionInterface(FlaskSessionInterface, ABC):
    # flask_session/base.py ServerSideSessionInterface, 0.8.0. The retry_query decorator of
    # flask_session/_utils.py (three tries on any exception) is left out: these tests want to
    # see a failure, not wait for it. So is the cleanup registration of non-TTL backends
    # (before_request every SESSION_CLEANUP_N_REQUESTS, or the `flask session_cleanup`
    # command): the SQL app offers POST /cleanup instead.
    session_class = ServerSideSession
    serializer = None
    ttl = True

    def __init__(self, app, key_prefix, use_signer, permanent, sid_length, serialization_format):
        self.app = app
        self.key_prefix = key_prefix
        self.use_signer = use_signer
        if use_signer:
            warnings.warn(
                "The 'use_signer' option is deprecated and will be removed in the next minor release. "
                "Please update your configuration accordingly or open an issue.",
                DeprecationWarning,
                stacklevel=1,
            )
        self.permanent = permanent
        self.sid_length = sid_length
        self.has_same_site_capability = hasattr(self, "get_cookie_samesite")
        self.serializer = MsgSpecSerializer(format=serialization_format, app=app)

    def _generate_sid(self, session_id_length):
        return secrets.token_urlsafe(session_id_length)

    def _get_signer(self, app):
        if not hasattr(app, "secret_key") or not app.secret_key:
            raise KeyError("SECRET_KEY must be set when SESSION_USE_SIGNER=True")
        return Signer(app.secret_key, salt="flask-session", key_derivation="hmac")

    def _unsign(self, app, sid):
        signer = self._get_signer(app)
        sid_as_bytes = signer.unsign(sid)
        sid = sid_as_bytes.decode()
        return sid

    def _sign(self, app, sid):
        signer = self._get_signer(app)
        sid_as_bytes = want_bytes(sid)
        return signer.sign(sid_as_bytes).decode("utf-8")

    def _get_store_id(self, sid):
        return self.key_prefix + sid

    def should_set_storage(self, app, session):
        return session.modified or app.config["SESSION_REFRESH_EACH_REQUEST"]

    def regenerate(self, session):
        if session:
            self._delete_session(self._get_store_id(session.sid))
            new_sid = self._generate_sid(self.sid_length)
            session.sid = new_sid
            session.modified = True

    def save_session(self, app, session, response):
        domain = self.get_cookie_domain(app)
        path = self.get_cookie_path(app)
        name = app.config["SESSION_COOKIE_NAME"]
        store_id = self._get_store_id(session.sid)
        if session.accessed:
            response.vary.add("Cookie")
        if not session:
            if session.modified:
                self._delete_session(store_id)
                response.delete_cookie(key=name, domain=domain, path=path)
                response.vary.add("Cookie")
            return
        if not self.should_set_storage(app, session):
            return
        self._upsert_session(app.permanent_session_lifetime, session, store_id)
        if not self.should_set_cookie(app, session):
            return
        value = self._sign(app, session.sid) if self.use_signer else session.sid
        expires = self.get_expiration_time(app, session)
        httponly = self.get_cookie_httponly(app)
        secure = self.get_cookie_secure(app)
        samesite = self.get_cookie_samesite(app) if self.has_same_site_capability else None
        response.set_cookie(
            key=name,
            value=value,
            expires=expires,
            httponly=httponly,
            domain=domain,
            path=path,
            secure=secure,
            samesite=samesite,
        )
        response.vary.add("Cookie")

    def open_session(self, app, request):
        sid = request.cookies.get(app.config["SESSION_COOKIE_NAME"])
        if not sid:
            sid = self._generate_sid(self.sid_length)
            return self.session_class(sid=sid, permanent=self.permanent)
        if self.use_signer:
            try:
                sid = self._unsign(app, sid)
            except BadSignature:
                sid = self._generate_sid(self.sid_length)
                return self.session_class(sid=sid, permanent=self.permanent)
        store_id = self._get_store_id(sid)
        saved_session_data = self._retrieve_session_data(store_id)
        if saved_session_data is not None:
            return self.session_class(saved_session_data, sid=sid)
        sid = self._generate_sid(self.sid_length)
        return self.session_class(sid=sid, permanent=self.permanent)

    @abstractmethod
    def _retrieve_session_data(self, store_id):
        raise NotImplementedError()

    @abstractmethod
    def _delete_session(self, store_id):
        raise NotImplementedError()

    @abstractmethod
    def _upsert_session(self, session_lifetime, session, store_id):
        raise NotImplementedError()


def common_params(config):
    """The parameters flask_session/__init__.py passes every backend but the app (0.8.0 lines
    113-120), from the test's configuration."""
    return {
        "key_prefix": config.get("prefix", "session:"),
        "use_signer": config.get("use_signer", True),
        "permanent": config.get("permanent", True),
        "sid_length": 32,
        "serialization_format": config.get("serializer", "msgpack"),
    }


def typed(value):
    # Order matters: bool is an int.
    if value is None:
        return {"t": "None"}
    if isinstance(value, bool):
        return {"t": "bool", "v": value}
    if isinstance(value, int):
        return {"t": "int", "v": str(value)}
    if isinstance(value, float):
        return {"t": "float", "v": repr(value)}
    if isinstance(value, str):
        return {"t": "str", "v": value}
    if isinstance(value, bytes):
        return {"t": "bytes", "v": base64.b64encode(value).decode("ascii")}
    if isinstance(value, msgpack.ExtType):  # a namedtuple: before tuple
        return {"t": "ExtType", "code": value.code, "v": base64.b64encode(value.data).decode("ascii")}
    if isinstance(value, (list, tuple)):
        return {"t": type(value).__name__, "v": [typed(item) for item in value]}
    if isinstance(value, dict):
        # A text key as it is, any other typed (42 -> {"t": "int", "v": "42"}).
        entries = [[key if isinstance(key, str) else typed(key), typed(item)] for key, item in value.items()]
        return {"t": "dict", "v": entries}
    if isinstance(value, datetime.datetime):
        utc = value.tzinfo is not None and value.utcoffset() == datetime.timedelta(0)
        aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        return {"t": "datetime", "us": (aware - EPOCH) // datetime.timedelta(microseconds=1), "utc": utc}
    raise TypeError(f"no typed spelling for {type(value).__name__}")


def json_response(body):
    return Response(json.dumps(body), mimetype="application/json")


def show():
    data = {key: value for key, value in session.items() if key != "_permanent"}
    return json_response({"sid": session.sid, "permanent": session.permanent, "data": typed(data)})


def make_app(config, make_interface):
    """The Flask app with the shared routes; make_interface(app, config) sets its session
    interface (with the deprecation warning of SESSION_USE_SIGNER silenced) and may add routes."""
    app = Flask("flask_session_app")
    app.secret_key = config["secret"]
    app.config["PERMANENT_SESSION_LIFETIME"] = datetime.timedelta(seconds=config.get("lifetime", 31 * 24 * 3600))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        app.session_interface = make_interface(app, config)

    @app.get("/show")
    def show_route():
        return show()

    @app.post("/set")
    def set_route():
        body = request.get_json(force=True)
        if body.get("clear"):
            session.clear()
        if "expr" in body:
            session.update(eval(body["expr"], dict(NAMES)))
        for key in body.get("delete", []):
            session.pop(key, None)
        if "permanent" in body:
            session.permanent = body["permanent"]
        return show()

    @app.post("/regenerate")
    def regenerate_route():
        app.session_interface.regenerate(session)
        return show()

    @app.get("/sign")
    def sign_route():
        return json_response({"signed": app.session_interface._sign(app, request.args["value"])})

    return app


def exit_when_stdin_closes():
    sys.stdin.read()
    os._exit(0)


def serve(make_interface):
    """Runs the app (port from argv, 0 for any) until stdin closes."""
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    app = make_app(json.loads(os.environ["FLASK_SESSION_APP"]), make_interface)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = make_server("127.0.0.1", port, app, threaded=True)
    threading.Thread(target=exit_when_stdin_closes, daemon=True).start()
    print(f"READY {server.server_port}", flush=True)
    server.serve_forever()
