/**
 * One login shared by a Flask app with Flask-Session and a tessera app, through one Redis and
 * one cookie: the whole path (cookie, signature, record, permanence), not just the store.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { createClient } from "redis";
import { createSessions } from "../../src/engine/manager.ts";
import type { SessionOptions } from "../../src/engine/options.ts";
import { redisStore } from "../../src/stores/redis/index.ts";
import { send, startTesseraApp, type TesseraApp } from "../support/flask-login-apps.ts";
import { type FlaskSessionApp, startFlaskSessionApp } from "../support/flask-session-app.ts";
import { strings } from "../support/flask-typed.ts";
import { deleteKeysUnder, ensureRedis, redisUrl } from "../support/redis-server.ts";

const SECRET = "flask-session-login-secret-0123456789abcd";

/** A tessera app sharing Flask-Session's Redis records under `prefix`. */
function startTessera(
  client: ReturnType<typeof createClient>,
  prefix: string,
  signIds: boolean,
): Promise<TesseraApp> {
  const sessions = createSessions({
    secret: SECRET,
    format: "flask-session",
    signIds,
    store: redisStore({ client, prefix, layout: "flask-session" }),
  });
  return startTesseraApp(sessions);
}

for (const signed of [true, false]) {
  describe(`one login for Flask-Session and tessera (${signed ? "signed" : "unsigned"} ids, SESSION_USE_SIGNER=${signed ? "True" : "False"})`, () => {
    const prefix = `tessera-login:${randomBytes(6).toString("base64url")}:`;
    let client: ReturnType<typeof createClient>;
    let flask: FlaskSessionApp;
    let tessera: TesseraApp;
    before(async () => {
      const url = await ensureRedis();
      client = createClient({ url });
      await client.connect();
      flask = await startFlaskSessionApp({
        secret: SECRET,
        redisUrl: url,
        prefix,
        useSigner: signed,
      });
      tessera = await startTessera(client, prefix, signed);
    });
    after(async () => {
      await tessera.close();
      await flask.stop();
      const url = new URL(redisUrl());
      await deleteKeysUnder({ host: url.hostname, port: Number(url.port || 6379) }, prefix);
      await client.quit();
    });

    test("a login made in Flask is seen by tessera, and a change made in tessera by Flask", async () => {
      const login = await send(`${flask.url}/set`, "POST", undefined, { expr: '{"user": "ada"}' });
      assert.ok(login.cookie);
      assert.equal(login.cookie.includes("."), signed, "sid.signature only when signed");
      const seen = await send(`${tessera.url}/me`, "GET", login.cookie);
      assert.deepEqual(seen.body.data, { user: "ada" });
      assert.equal(seen.body.permanent, true, "Flask's session.permanent");
      assert.equal(seen.body.id, login.body.sid);
      const changed = await send(`${tessera.url}/set?theme=dark`, "POST", login.cookie);
      assert.equal(changed.status, 200);
      const back = await send(`${flask.url}/show`, "GET", login.cookie);
      assert.deepEqual(back.body.data, strings({ user: "ada", theme: "dark" }));
    });

    test("a login made in tessera is seen by Flask, permanent as Flask-Session's", async () => {
      const login = await send(`${tessera.url}/set?user=grace`, "POST");
      assert.ok(login.cookie);
      assert.match(login.setCookie ?? "", /Max-Age=2678400/);
      if (!signed) assert.match(login.cookie, /^[\w-]{43}$/, "the bare id");
      const seen = await send(`${flask.url}/show`, "GET", login.cookie);
      assert.equal(seen.body.sid, login.body.id);
      assert.equal(seen.body.permanent, true);
      assert.deepEqual(seen.body.data, strings({ user: "grace" }));
    });

    test("a non-permanent Flask session stays a browser-session cookie through tessera", async () => {
      const login = await send(`${flask.url}/set`, "POST", undefined, {
        expr: '{"user": "lin"}',
        permanent: false,
      });
      assert.ok(login.cookie);
      const changed = await send(`${tessera.url}/set?step=2`, "POST", login.cookie);
      assert.equal(changed.body.permanent, false);
      assert.doesNotMatch(changed.setCookie ?? "", /Max-Age|Expires/);
      const back = await send(`${flask.url}/show`, "GET", login.cookie);
      assert.equal(back.body.permanent, false);
    });

    test("logout in tessera ends the session for Flask; regenerate in tessera moves it for both", async () => {
      const login = await send(`${flask.url}/set`, "POST", undefined, { expr: '{"user": "kay"}' });
      assert.ok(login.cookie);
      const moved = await send(`${tessera.url}/regenerate`, "POST", login.cookie);
      assert.ok(moved.cookie && moved.cookie !== login.cookie);
      const atFlask = await send(`${flask.url}/show`, "GET", moved.cookie);
      assert.deepEqual(atFlask.body.data, strings({ user: "kay" }));
      const old = await send(`${flask.url}/show`, "GET", login.cookie);
      assert.deepEqual(old.body.data, strings({}), "the old id is dead");
      await send(`${tessera.url}/logout`, "POST", moved.cookie);
      const after = await send(`${flask.url}/show`, "GET", moved.cookie);
      assert.deepEqual(after.body.data, strings({}));
    });

    test("a cookie signed with another secret, or not a session id, is an empty session", async () => {
      const forged = signed ? `${"A".repeat(43)}.${"B".repeat(27)}` : "not-an-id";
      const seen = await send(`${tessera.url}/me`, "GET", forged);
      assert.deepEqual(seen.body.data, {});
    });
  });
}

test("signIds is refused outside format flask-session", () => {
  assert.throws(
    // The types refuse it already; a JavaScript caller gets the startup error.
    () => createSessions({ secret: SECRET, signIds: false } as unknown as SessionOptions),
    /signIds applies to format "flask-session" only/,
  );
});

test("absoluteLifetime is refused with Flask-Session's layout, which keeps no creation time", async () => {
  // The client never connects: the options are refused before any command.
  const client = createClient({ url: await ensureRedis() });
  assert.throws(
    () =>
      createSessions({
        secret: SECRET,
        format: "flask-session",
        absoluteLifetime: "1d",
        store: redisStore({ client, layout: "flask-session" }),
      }),
    /absoluteLifetime cannot be kept with this redis store/,
  );
});
