"""A real Flask app (Debian's python3-flask) with Flask-Session 0.8's SQL sessions
(SESSION_TYPE = "sqlalchemy"), on Debian's python3-flask-sqlalchemy (3.0) and python3-psycopg2,
for test/interop/flask-session-postgres.test.ts.

    /usr/bin/python3 flask_session_sqlalchemy_app.py PORT      (0: any free port)

What every backend shares (the session, the serializer, the interface, the routes, the
configuration and the substitutions for what Debian does not package) is in
flask_session_base.py. The SQL part is reproduced from Flask-Session 0.8.0,
pallets-eco/flask-session at tag 0.8.0 (65c05ea), src/flask_session/sqlalchemy/sqlalchemy.py:
  - create_session_model, lines 20-43: the model (id Integer primary key, session_id
    String(255) unique, data LargeBinary, expiry DateTime)
  - SqlAlchemySessionInterface.__init__, lines 76-122: the model made on the app's SQLAlchemy
    instance, its table created with checkfirst=True, ttl = False
  - _delete_expired_sessions, lines 124-133; _retrieve_session_data, lines 135-153 (a record
    whose expiry is None or <= datetime.utcnow() is deleted and counts as none);
    _delete_session, lines 155-162; _upsert_session, lines 164-189 (expiry is
    datetime.utcnow() + PERMANENT_SESSION_LIFETIME, a naive UTC datetime)
with SESSION_SQLALCHEMY_SEQUENCE, _SCHEMA and _BIND_KEY left at their default, None
(flask_session/defaults.py). At HEAD (bc2fe67) the file differs only in calling the serializer's
methods loads/dumps instead of decode/encode.

Configuration (FLASK_SESSION_APP, see flask_session_base.py) adds "database_url" (required,
postgresql://...) and "table" (SESSION_SQLALCHEMY_TABLE, default "sessions"). Routes added:
  GET  /row?sid=s -> {"expiry": the row's expiry as SQLAlchemy reads it (ISO, naive), or null}
  POST /cleanup   -> _delete_expired_sessions(), then {"deleted": true}
"""
from datetime import datetime

from flask import request
from flask_sqlalchemy import SQLAlchemy
from itsdangerous import want_bytes
from sqlalchemy import Column, DateTime, Integer, LargeBinary, Sequence, String

from flask_session_base import ServerSideSession, ServerSideSessionInterface, common_params, json_response, serve


class SqlAlchemySession(ServerSideSession):
    pass


def create_session_model(db, table_name, schema=None, bind_key=None, sequence=None):
    class Session(db.Model):
        __tablename__ = table_name
        __table_args__ = {"schema": schema} if schema else {}
        __bind_key__ = bind_key

        id = Column(Integer, Sequence(sequence), primary_key=True) if sequence else Column(Integer, primary_key=True)
        session_id = Column(String(255), unique=True)
        data = Column(LargeBinary)
        expiry = Column(DateTime)

        def __init__(self, session_id, data, expiry):
            self.session_id = session_id
            self.data = data
            self.expiry = expiry

        def __repr__(self):
            return f"<Session data {self.data}>"

    return Session


class SqlAlchemySessionInterface(ServerSideSessionInterface):
    # flask_session/sqlalchemy/sqlalchemy.py, 0.8.0
    session_class = SqlAlchemySession
    ttl = False

    def __init__(self, app, client, table, sequence=None, schema=None, bind_key=None, **params):
        self.app = app
        self.client = client
        self.sql_session_model = create_session_model(client, table, schema, bind_key, sequence)
        with app.app_context():
            engine = self.client.get_engine(app, bind=bind_key) if bind_key else self.client.engine
            self.sql_session_model.__table__.create(bind=engine, checkfirst=True)
        super().__init__(app, **params)

    def _delete_expired_sessions(self):
        try:
            self.client.session.query(self.sql_session_model).filter(
                self.sql_session_model.expiry <= datetime.utcnow()
            ).delete(synchronize_session=False)
            self.client.session.commit()
        except Exception:
            self.client.session.rollback()
            raise

    def _retrieve_session_data(self, store_id):
        record = self.sql_session_model.query.filter_by(session_id=store_id).first()
        if record and (record.expiry is None or record.expiry <= datetime.utcnow()):
            try:
                self.client.session.delete(record)
                self.client.session.commit()
            except Exception:
                self.client.session.rollback()
                raise
            record = None
        if record:
            serialized_session_data = want_bytes(record.data)
            return self.serializer.decode(serialized_session_data)
        return None

    def _delete_session(self, store_id):
        try:
            self.sql_session_model.query.filter_by(session_id=store_id).delete()
            self.client.session.commit()
        except Exception:
            self.client.session.rollback()
            raise

    def _upsert_session(self, session_lifetime, session, store_id):
        storage_expiration_datetime = datetime.utcnow() + session_lifetime
        serialized_session_data = self.serializer.encode(session)
        try:
            record = self.sql_session_model.query.filter_by(session_id=store_id).first()
            if record:
                record.data = serialized_session_data
                record.expiry = storage_expiration_datetime
            else:
                record = self.sql_session_model(
                    session_id=store_id,
                    data=serialized_session_data,
                    expiry=storage_expiration_datetime,
                )
                self.client.session.add(record)
            self.client.session.commit()
        except Exception:
            self.client.session.rollback()
            raise


def make_interface(app, config):
    app.config["SQLALCHEMY_DATABASE_URI"] = config["database_url"]
    db = SQLAlchemy(app)
    interface = SqlAlchemySessionInterface(app, db, table=config.get("table", "sessions"), **common_params(config))

    @app.get("/row")
    def row_route():
        store_id = interface._get_store_id(request.args["sid"])
        record = interface.sql_session_model.query.filter_by(session_id=store_id).first()
        expiry = record.expiry.isoformat() if record is not None and record.expiry is not None else None
        return json_response({"expiry": expiry})

    @app.post("/cleanup")
    def cleanup_route():
        interface._delete_expired_sessions()
        return json_response({"deleted": True})

    return interface


if __name__ == "__main__":
    serve(make_interface)
