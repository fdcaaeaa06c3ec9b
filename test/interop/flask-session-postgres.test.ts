/**
 * One login shared by a tessera app and a real Flask app with Flask-Session 0.8's SQL sessions
 * (SESSION_TYPE "sqlalchemy": flask_session_sqlalchemy_app.py, on Debian's Flask 2.2,
 * Flask-SQLAlchemy 3.0 and psycopg2) through one PostgreSQL table: the tessera app is
 * `createSessions({ format: "flask-session", store: postgresStore({ layout: "flask-session" }) })`
 * on node:http, and both apps are driven over HTTP with one cookie. A login on either side is
 * seen by the other, changes from each land in the other, logout and regenerate on either end or
 * move the session for both, with signed and unsigned ids, in MessagePack and JSON. Then, at the
 * store: Python's values as tessera reads them and tessera's as Python reads them, and expiry
 * (a naive UTC timestamp) as each side reads the other's.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { FlaskFloat } from "../../src/codecs/flask/index.ts";
import { Signer } from "../../src/codecs/flask/signer.ts";
import { createSessions } from "../../src/engine/manager.ts";
import { type PostgresStore, postgresStore } from "../../src/stores/postgres/index.ts";
import {
  type Answer,
  send,
  startTesseraApp,
  type TesseraApp,
} from "../support/flask-login-apps.ts";
import { type FlaskSessionApp, startFlaskSessionSqlApp } from "../support/flask-session-app.ts";
import {
  bool,
  bytes,
  dict,
  float,
  int,
  list,
  none,
  str,
  strings,
  type Typed,
  utc,
} from "../support/flask-typed.ts";
import { newId, setPatch } from "../support/patches.ts";
import { databaseUrl, sql, testPool, uniqueTable } from "../support/postgres.ts";

const SECRET = "flask-session-postgres-secret-0123456789";
const MINUTE = 60_000;
const LIFETIME_S = 31 * 24 * 3600;
const signer = new Signer({ secrets: SECRET, salt: "flask-session", keyDerivation: "hmac" });
const pool = testPool();
const tables: string[] = [];
after(async () => {
  try {
    for (const table of tables) await sql(`DROP TABLE IF EXISTS ${table}`);
  } finally {
    await pool.end();
  }
});

type Serializer = "msgpack" | "json";

interface Tessera extends TesseraApp {
  readonly store: PostgresStore;
}

/** A tessera app (test/support/flask-login-apps.ts) sharing `table` with Flask. */
async function startTessera(
  table: string,
  serializer: Serializer,
  signIds: boolean,
): Promise<Tessera> {
  const store = postgresStore({ client: pool, table, layout: "flask-session", serializer });
  const sessions = createSessions({ secret: SECRET, format: "flask-session", signIds, store });
  return { ...(await startTesseraApp(sessions)), store };
}

/** A Flask login: POST /set with a Python dict expression. */
function flaskLogin(flask: FlaskSessionApp, expr: string, extra: object = {}): Promise<Answer> {
  return send(`${flask.url}/set`, "POST", undefined, { expr, ...extra });
}

/** The row's data as stored, for checking which serialization wrote it. */
async function storedBytes(table: string, id: string): Promise<Buffer | undefined> {
  const { rows } = await sql(`SELECT data FROM ${table} WHERE session_id = $1`, [`session:${id}`]);
  return rows[0]?.data;
}

/** Starts both apps on a fresh table before the suite, stops them and drops it after. */
function bothApps(serializer: Serializer, signed: boolean) {
  const apps = {} as { flask: FlaskSessionApp; tessera: Tessera; table: string };
  before(async () => {
    apps.table = uniqueTable("flask_interop");
    tables.push(apps.table);
    // tessera creates the table first here; the Flask app's checkfirst then finds it.
    apps.tessera = await startTessera(apps.table, serializer, signed);
    await apps.tessera.store.get(newId());
    apps.flask = await startFlaskSessionSqlApp({
      secret: SECRET,
      databaseUrl: databaseUrl(),
      table: apps.table,
      serializer,
      useSigner: signed,
      lifetime: LIFETIME_S,
    });
  });
  after(async () => {
    await apps.tessera?.close();
    await apps.flask?.stop();
  });
  return apps;
}

for (const serializer of ["msgpack", "json"] as const) {
  for (const signed of [true, false]) {
    describe(`one login for Flask-Session's SQL sessions and tessera (${serializer}, ${signed ? "signed" : "unsigned"} ids)`, () => {
      const apps = bothApps(serializer, signed);

      test("a login made in Flask is seen by tessera, and a change made in tessera by Flask", async () => {
        const { flask, tessera } = apps;
        const login = await flaskLogin(flask, '{"user": "ada", "step": 1}');
        assert.ok(login.cookie, "Flask sets its cookie");
        assert.equal(login.cookie, signed ? signer.sign(login.body.sid ?? "") : login.body.sid);
        const seen = await send(`${tessera.url}/me`, "GET", login.cookie);
        assert.equal(seen.body.id, login.body.sid);
        assert.deepEqual(seen.body.data, { user: "ada", step: 1 });
        assert.equal(seen.body.permanent, true, "Flask's session.permanent");
        const changed = await send(`${tessera.url}/set?theme=dark&step=2`, "POST", login.cookie);
        assert.equal(changed.status, 200);
        const back = await send(`${flask.url}/show`, "GET", login.cookie);
        assert.deepEqual(
          back.body.data,
          dict({ user: str("ada"), step: str("2"), theme: str("dark") }),
        );
      });

      test("a login made in tessera is seen by Flask, permanent as Flask-Session's, in the configured serialization", async () => {
        const { flask, tessera, table } = apps;
        const login = await send(`${tessera.url}/set?user=grace`, "POST");
        assert.ok(login.cookie && login.body.id);
        assert.match(login.setCookie ?? "", /Max-Age=2678400/);
        if (signed) assert.equal(login.cookie, signer.sign(login.body.id));
        else assert.match(login.cookie, /^[\w-]{43}$/, "the bare id");
        const first = (await storedBytes(table, login.body.id))?.[0];
        assert.equal(first === 0x7b, serializer === "json", `first byte 0x${first?.toString(16)}`);
        const seen = await send(`${flask.url}/show`, "GET", login.cookie);
        assert.equal(seen.body.sid, login.body.id);
        assert.equal(seen.body.permanent, true);
        assert.deepEqual(seen.body.data, strings({ user: "grace" }));
        // Flask rewrote the row (SESSION_REFRESH_EACH_REQUEST); tessera still reads it.
        const again = await send(`${tessera.url}/me`, "GET", login.cookie);
        assert.deepEqual(again.body.data, { user: "grace" });
      });

      test("logout in Flask ends the session for tessera, and logout in tessera for Flask", async () => {
        const { flask, tessera } = apps;
        const first = await flaskLogin(flask, '{"user": "ada"}');
        const out = await send(`${flask.url}/set`, "POST", first.cookie, { clear: true });
        assert.match(out.setCookie ?? "", /^session=;/, "Flask deletes its cookie");
        const afterFlask = await send(`${tessera.url}/me`, "GET", first.cookie);
        assert.deepEqual(afterFlask.body.data, {});
        assert.notEqual(afterFlask.body.id, first.body.sid);

        const second = await send(`${tessera.url}/set?user=bob`, "POST");
        assert.deepEqual(
          (await send(`${flask.url}/show`, "GET", second.cookie)).body.data,
          strings({ user: "bob" }),
        );
        await send(`${tessera.url}/logout`, "POST", second.cookie);
        const afterTessera = await send(`${flask.url}/show`, "GET", second.cookie);
        assert.notEqual(afterTessera.body.sid, second.body.id);
        assert.deepEqual(afterTessera.body.data, strings({}));
      });

      test("regenerate in tessera moves the session for both; so does regenerate in Flask", async () => {
        const { flask, tessera } = apps;
        const login = await flaskLogin(flask, '{"user": "kay"}');
        const moved = await send(`${tessera.url}/regenerate`, "POST", login.cookie);
        assert.ok(moved.cookie && moved.cookie !== login.cookie);
        assert.deepEqual(
          (await send(`${flask.url}/show`, "GET", moved.cookie)).body.data,
          strings({ user: "kay" }),
        );
        const old = await send(`${flask.url}/show`, "GET", login.cookie);
        assert.deepEqual(old.body.data, strings({}), "the old id is dead");

        const again = await send(`${flask.url}/regenerate`, "POST", moved.cookie, {});
        assert.ok(again.cookie && again.cookie !== moved.cookie);
        assert.deepEqual((await send(`${tessera.url}/me`, "GET", again.cookie)).body.data, {
          user: "kay",
        });
        assert.deepEqual((await send(`${tessera.url}/me`, "GET", moved.cookie)).body.data, {});
      });

      test("a non-permanent Flask session stays a browser-session cookie through tessera", async () => {
        const { flask, tessera } = apps;
        const login = await flaskLogin(flask, '{"user": "lin"}', { permanent: false });
        const changed = await send(`${tessera.url}/set?step=2`, "POST", login.cookie);
        assert.equal(changed.body.permanent, false);
        assert.doesNotMatch(changed.setCookie ?? "", /Max-Age|Expires/);
        const back = await send(`${flask.url}/show`, "GET", login.cookie);
        assert.equal(back.body.permanent, false);
        assert.deepEqual(back.body.data, strings({ user: "lin", step: "2" }));
      });

      test("a cookie that leads to no row, or is signed with another secret, is an empty session to both", async () => {
        const { flask, tessera } = apps;
        const forged = signed ? `${newId()}.${"B".repeat(27)}` : newId();
        assert.deepEqual((await send(`${tessera.url}/me`, "GET", forged)).body.data, {});
        assert.deepEqual((await send(`${flask.url}/show`, "GET", forged)).body.data, strings({}));
      });
    });
  }
}

/** What Flask logs in with: ints, floats, text, bytes, a tz-aware datetime, nesting. */
const FLASK_VALUES = `{
  "user": "ada", "count": 42, "whole": 3.0, "ratio": 0.25, "big": 2**60,
  "raw": b"\\x00\\xff", "when": datetime(2024, 1, 2, 3, 4, 5, 678000, tzinfo=UTC),
  "prefs": {"list": [1, 2.5, None, True], "pair": ("a", 1)},
}`;

/** FLASK_VALUES as tessera reads them from each serialization. */
function flaskValuesAsRead(serializer: Serializer): Record<string, unknown> {
  const common = {
    _permanent: true,
    user: "ada",
    count: 42,
    whole: 3,
    ratio: 0.25,
    big: 2n ** 60n,
    prefs: { list: [1, 2.5, null, true], pair: ["a", 1] },
  };
  return serializer === "msgpack"
    ? { ...common, raw: Buffer.from([0, 255]), when: new Date("2024-01-02T03:04:05.678Z") }
    : // msgspec's JSON holds bytes and a datetime as text
      { ...common, raw: "AP8=", when: "2024-01-02T03:04:05.678000Z" };
}

/** What tessera writes, and how Flask reads it from each serialization. */
const TESSERA_VALUES = {
  _permanent: true,
  user: "bob",
  total: new FlaskFloat(19),
  big: 2n ** 62n,
  cart: [{ sku: "A1", qty: 2 }],
  when: new Date("2024-05-06T07:08:09.010Z"),
  raw: Buffer.from("hi"),
  nothing: null,
  yes: true,
};
function tesseraValuesAsRead(serializer: Serializer): Typed {
  return dict({
    user: str("bob"),
    total: float("19.0"),
    big: int(2n ** 62n),
    cart: list(dict({ sku: str("A1"), qty: int(2) })),
    when:
      serializer === "msgpack" ? utc("2024-05-06T07:08:09.010Z") : str("2024-05-06T07:08:09.010Z"),
    raw: serializer === "msgpack" ? bytes(Buffer.from("hi")) : str("aGk="),
    nothing: none,
    yes: bool(true),
  });
}

for (const serializer of ["msgpack", "json"] as const) {
  describe(`Flask-Session's SQL rows and tessera's store (${serializer})`, () => {
    const apps = bothApps(serializer, true);

    test("Python's values as tessera reads them, and tessera's as Python reads them", async () => {
      const { flask, tessera } = apps;
      const login = await flaskLogin(flask, FLASK_VALUES);
      assert.deepEqual(
        (await tessera.store.get(login.body.sid ?? ""))?.data,
        flaskValuesAsRead(serializer),
      );
      const id = newId();
      const now = Date.now();
      await tessera.store.apply(id, setPatch(TESSERA_VALUES), {
        createdAt: now,
        expiresAt: now + LIFETIME_S * 1000,
        mustExist: false,
      });
      const seen = await send(`${flask.url}/show`, "GET", signer.sign(id));
      assert.equal(seen.body.sid, id);
      assert.deepEqual(seen.body.data, tesseraValuesAsRead(serializer));
    });

    test("each side reads the other's expiry to the millisecond, as naive UTC", async () => {
      const { flask, tessera } = apps;
      const login = await flaskLogin(flask, '{"user": "ada"}');
      const sid = login.body.sid ?? "";
      const flaskExpiry = (await send(`${flask.url}/row?sid=${sid}`, "GET")).body as unknown as {
        expiry: string;
      };
      const record = await tessera.store.get(sid);
      assert.ok(record);
      // Python's isoformat has microseconds; tessera reads them to a fraction of a millisecond.
      assert.ok(Math.abs(record.expiresAt - Date.parse(`${flaskExpiry.expiry}Z`)) < 1);
      assert.ok(Math.abs(record.expiresAt - (Date.now() + LIFETIME_S * 1000)) < 10_000);

      const id = newId();
      const expiresAt = Date.now() + 90 * MINUTE;
      await tessera.store.apply(id, setPatch({ _permanent: true, user: "bob" }), {
        createdAt: Date.now(),
        expiresAt,
        mustExist: false,
      });
      const seen = (await send(`${flask.url}/row?sid=${id}`, "GET")).body as unknown as {
        expiry: string;
      };
      assert.equal(Date.parse(`${seen.expiry}Z`), expiresAt);
    });

    test("a session tessera expires is gone for Flask, whose read deletes the row; Flask's cleanup deletes tessera's expired rows", async () => {
      const { flask, tessera, table } = apps;
      const login = await send(`${tessera.url}/set?user=zed`, "POST");
      const id = login.body.id ?? "";
      await tessera.store.touch(id, Date.now() - 1_000);
      const seen = await send(`${flask.url}/show`, "GET", login.cookie);
      assert.notEqual(seen.body.sid, id);
      assert.equal(await storedBytes(table, id), undefined, "Flask deleted the expired row");

      const expired = newId();
      await tessera.store.apply(expired, setPatch({ _permanent: true, a: 1 }), {
        createdAt: Date.now(),
        expiresAt: Date.now() - 1_000,
        mustExist: false,
      });
      assert.ok(await storedBytes(table, expired));
      await send(`${flask.url}/cleanup`, "POST", undefined, {});
      assert.equal(await storedBytes(table, expired), undefined);
    });
  });
}

describe("the engine and Flask-Session's SQL layout", () => {
  test("format flask-session is the only one it takes, and absoluteLifetime is refused", () => {
    const store = () =>
      postgresStore({ client: pool, layout: "flask-session", sweepInterval: false });
    assert.throws(
      () => createSessions({ secret: SECRET, store: store() }),
      /postgres store keeps Flask-Session's records \(its layout "flask-session"\).*use format "flask-session"/,
    );
    assert.throws(
      () =>
        createSessions({
          secret: SECRET,
          format: "flask-session",
          absoluteLifetime: "1d",
          store: store(),
        }),
      /absoluteLifetime cannot be kept with this postgres store/,
    );
  });
});
