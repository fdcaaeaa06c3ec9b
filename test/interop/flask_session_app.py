"""A real Flask app (Debian's python3-flask) with Flask-Session 0.8's Redis sessions, for
test/interop/flask-session-redis.test.ts and flask-session-login.test.ts.

    /usr/bin/python3 flask_session_app.py PORT      (0: any free port)

What every backend shares (the session, the serializer, the interface, the routes, the
configuration and the substitutions for what Debian does not package) is in
flask_session_base.py. The Redis part is reproduced from Flask-Session 0.8.0:
  - flask_session/redis/redis.py (RedisSessionInterface: _retrieve_session_data, _delete_session,
    _upsert_session), the same in pallets-eco/flask-session at 2bc7df1 (0.7.0)
    src/flask_session/redis/redis.py and in 0.8.0 as installed (github.com/LacraruLeonard/
    BloomBuddy at 6bdacfb, venv/Lib/site-packages/flask_session/redis/redis.py)
  - flask_session/_utils.py total_seconds: int(timedelta.total_seconds())
with redis-py 4.3 (python3-redis) instead of 5: the same GET / SET EX / DELETE calls.

Configuration (FLASK_SESSION_APP, see flask_session_base.py) adds "redis_url", required.
"""
from redis import Redis

from flask_session_base import ServerSideSessionInterface, common_params, serve


def total_seconds(timedelta):
    # flask_session/_utils.py
    return int(timedelta.total_seconds())


class RedisSessionInterface(ServerSideSessionInterface):
    # flask_session/redis/redis.py, 0.8.0
    ttl = True

    def __init__(self, app, client, **params):
        self.client = client
        super().__init__(app, **params)

    def _retrieve_session_data(self, store_id):
        serialized_session_data = self.client.get(store_id)
        if serialized_session_data:
            return self.serializer.decode(serialized_session_data)
        return None

    def _delete_session(self, store_id):
        self.client.delete(store_id)

    def _upsert_session(self, session_lifetime, session, store_id):
        storage_time_to_live = total_seconds(session_lifetime)
        serialized_session_data = self.serializer.encode(session)
        self.client.set(name=store_id, value=serialized_session_data, ex=storage_time_to_live)


def make_interface(app, config):
    return RedisSessionInterface(app, Redis.from_url(config["redis_url"]), **common_params(config))


if __name__ == "__main__":
    serve(make_interface)
