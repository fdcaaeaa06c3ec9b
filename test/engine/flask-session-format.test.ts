/**
 * Format "flask-session" in the engine, on any store: Flask's reading of `_permanent`, Flask-
 * Session's `clear()`, its ids and its cookies. (test/interop/flask-session-login.test.ts runs
 * the same against a Flask app on Redis.)
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Signer } from "../../src/codecs/flask/signer.ts";
import { createSessions, type SessionManager } from "../../src/engine/manager.ts";
import type { SessionValue } from "../../src/session/session.ts";
import { memoryStore } from "../../src/stores/memory.ts";

const SECRET = "flask-session-format-secret-0123456789ab";
const signer = new Signer({ secrets: SECRET, salt: "flask-session", keyDerivation: "hmac" });

type Manager = SessionManager<Record<string, SessionValue>>;
type Change = (session: Awaited<ReturnType<ReturnType<Manager["begin"]>["session"]>>) => void;

async function request(sessions: Manager, cookie: string | undefined, change: Change = () => {}) {
  const scope = sessions.begin({
    cookieHeader: cookie === undefined ? undefined : `session=${cookie}`,
    encrypted: false,
  });
  const session = await scope.session();
  const seen = { permanent: session.permanent, data: session.toJSON() };
  change(session);
  const headers = await scope.commit();
  const header = headers.setCookie.find((line) => line.startsWith("session="));
  return { seen, after: session.permanent, header, value: header?.split(";")[0]?.slice(8) };
}

describe('format "flask-session" in the engine', () => {
  const store = memoryStore();
  const sessions = createSessions({ secret: SECRET, format: "flask-session", store });

  test("a new session's record says it is permanent, as Flask-Session's would", async () => {
    const login = await request(sessions, undefined, (session) => session.set("user", "ada"));
    assert.ok(login.value);
    const id = login.value.split(".")[0] ?? "";
    assert.equal(login.value, signer.sign(id), "the cookie is Flask-Session's sid.signature");
    assert.deepEqual((await store.get(id))?.data, { user: "ada", _permanent: true });
  });

  test("a record without _permanent (Flask: not permanent) gets a browser-session cookie", async () => {
    const id = "a".repeat(43);
    await store.apply(
      id,
      { clear: false, set: new Map([["user", "lin"]]), delete: new Set() },
      { createdAt: Date.now(), expiresAt: Date.now() + 60_000, mustExist: false },
    );
    const read = await request(sessions, signer.sign(id), (session) => session.set("step", 2));
    assert.equal(read.seen.permanent, false);
    assert.ok(read.header === undefined || !/Max-Age/.test(read.header));
  });

  test("clear() keeps _permanent, as Flask-Session's clear() does", async () => {
    const login = await request(sessions, undefined, (session) => session.set("user", "ada"));
    const cleared = await request(sessions, login.value, (session) => {
      session.clear();
      session.set("cart", "[]");
    });
    assert.equal(cleared.after, true, "still permanent in the request that cleared");
    const next = await request(sessions, login.value);
    assert.equal(next.seen.permanent, true);
    assert.deepEqual(next.seen.data, { cart: "[]" });
  });

  test("destroy() and a new login start a permanent session again", async () => {
    const id = "b".repeat(43);
    await store.apply(
      id,
      { clear: false, set: new Map([["user", "lin"]]), delete: new Set() },
      { createdAt: Date.now(), expiresAt: Date.now() + 60_000, mustExist: false },
    );
    const again = await request(sessions, signer.sign(id), (session) => {
      session.destroy();
      session.flash("Logged out");
    });
    assert.match(again.header ?? "", /Max-Age=\d+/);
  });

  test("an id cookie that leads nowhere is left alone (the Flask app may know it), and ids of other lengths are read", async () => {
    const unknown = await request(sessions, signer.sign("c".repeat(43)));
    assert.equal(unknown.header, undefined);
    // SESSION_ID_LENGTH = 16 gives 22 characters; Flask-Session before 0.6 used uuid4.
    for (const id of ["d".repeat(22), "1b4e28ba-2fa1-11d2-883f-0016d3cca427"]) {
      await store.apply(
        id,
        { clear: false, set: new Map([["user", "kay"]]), delete: new Set() },
        { createdAt: Date.now(), expiresAt: Date.now() + 60_000, mustExist: false },
      );
      const read = await request(sessions, signer.sign(id));
      assert.deepEqual(read.seen.data, { user: "kay" }, id);
    }
  });

  test("unsigned ids (SESSION_USE_SIGNER = False): the cookie is the id", async () => {
    const unsigned = createSessions({
      secret: SECRET,
      format: "flask-session",
      signIds: false,
      store,
    });
    const login = await request(unsigned, undefined, (session) => session.set("user", "ada"));
    assert.match(login.value ?? "", /^[\w-]{43}$/);
    assert.deepEqual((await request(unsigned, login.value)).seen.data, { user: "ada" });
    assert.deepEqual((await request(unsigned, `${login.value}.x`)).seen.data, {});
  });
});
