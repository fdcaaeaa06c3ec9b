import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, mock, test } from "node:test";
import { createSessions } from "../../src/engine/manager.ts";
import { SessionValueError, StoreUnavailableError } from "../../src/errors.ts";
import { memoryStore } from "../../src/stores/memory.ts";
import { sqliteStore } from "../../src/stores/sqlite.ts";
import { CountingStore } from "../support/counting-store.ts";

const secret = "scope-test-secret-0123456789abcdefgh";

/** Drives the engine directly, as an adapter does, to pin orderings HTTP cannot force. */
describe("request scope", () => {
  async function loggedIn() {
    const store = memoryStore();
    const sessions = createSessions({ secret, store });
    const first = sessions.begin({ cookieHeader: undefined, encrypted: false });
    (await first.session()).set("user", "alice");
    const [cookie] = (await first.commit()).setCookie;
    const header = (cookie ?? "").split(";")[0] ?? "";
    return { store, sessions, header, id: header.slice("session=".length).split(".")[0] ?? "" };
  }

  test("a write racing a logout does not bring the session back", async () => {
    const { store, sessions, header, id } = await loggedIn();
    const slow = sessions.begin({ cookieHeader: header, encrypted: false });
    const slowSession = await slow.session();
    const logout = sessions.begin({ cookieHeader: header, encrypted: false });
    (await logout.session()).destroy();
    await logout.commit();
    slowSession.set("cart", "3");
    const headers = await slow.commit();
    assert.equal(await store.get(id), undefined, "the destroyed record stays destroyed");
    assert.match(headers.setCookie[0] ?? "", /^session=; Max-Age=0/);
  });

  test("regenerating a session that was logged out meanwhile ends it instead of reviving it", async () => {
    const { store, sessions, header, id } = await loggedIn();
    const attacker = sessions.begin({ cookieHeader: header, encrypted: false });
    const attackerSession = await attacker.session();
    const logout = sessions.begin({ cookieHeader: header, encrypted: false });
    (await logout.session()).destroy();
    await logout.commit();
    attackerSession.regenerate();
    const headers = await attacker.commit();
    assert.match(headers.setCookie[0] ?? "", /^session=; Max-Age=0/);
    assert.equal(await store.get(id), undefined);
    assert.equal(await store.get(attackerSession.id), undefined, "nothing under the new id either");
  });

  test("a login on a session that ended meanwhile keeps only what the login set, under a new id", async () => {
    const { store, sessions, header, id } = await loggedIn();
    const login = sessions.begin({ cookieHeader: header, encrypted: false });
    const session = await login.session();
    await store.destroy(id); // a logout elsewhere, or a store that lost it
    session.regenerate();
    session.set("login", "bob");
    const headers = await login.commit();
    assert.match(headers.setCookie[0] ?? "", /^session=[^;]+; Max-Age=/, "a cookie to log in with");
    assert.equal(await store.get(id), undefined, "the old id stays gone");
    assert.deepEqual((await store.get(session.id))?.data, { login: "bob" }, "without the old data");
  });

  test("a failed handler's scope is discarded: nothing saved, later changes refused", async () => {
    const { store, sessions, header, id } = await loggedIn();
    const scope = sessions.begin({ cookieHeader: header, encrypted: false });
    const session = await scope.session();
    session.set("user", "mallory");
    scope.discard();
    assert.deepEqual((await store.get(id))?.data, { user: "alice" });
    assert.throws(() => session.set("user", "eve"), /came after the response started/);
    assert.throws(() => scope.commit(), /already committed or discarded/);
  });

  test("a read from a store in this process is done at once; through a wrapper it is not", async () => {
    const { store, sessions, header } = await loggedIn();
    const scope = sessions.begin({ cookieHeader: header, encrypted: false });
    const loading = scope.load();
    assert.equal(scope.loadedSession()?.get("user"), "alice", "loaded before any await");
    assert.equal(await loading, scope.loadedSession());
    const wrapped = createSessions({ secret, store: Object.create(store) as typeof store });
    const later = wrapped.begin({ cookieHeader: header, encrypted: false });
    const pending = later.load();
    assert.equal(later.loadedSession(), undefined, "a wrapper may wait: it gets a promise");
    assert.equal((await pending).get("user"), "alice");
  });

  test("a read done at once that fails is a StoreUnavailableError, as an awaited one is", async (t) => {
    const dir = mkdtempSync(join(tmpdir(), "tessera-scope-"));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const sessions = createSessions({ secret, store: sqliteStore({ path: join(dir, "s.db") }) });
    const first = sessions.begin({ cookieHeader: undefined, encrypted: false });
    (await first.session()).set("user", "alice");
    const header = ((await first.commit()).setCookie[0] ?? "").split(";")[0];
    await sessions.close();
    const scope = sessions.begin({ cookieHeader: header, encrypted: false });
    await assert.rejects(scope.load(), StoreUnavailableError);
  });

  test("a commit that starts while the session is still loading waits for it", async () => {
    const { store, header } = await loggedIn();
    // A store whose reads take a round trip (memoryStore's are done at once).
    const remote = Object.create(store) as typeof store;
    const sessions = createSessions({ secret, store: remote });
    const scope = sessions.begin({ cookieHeader: header, encrypted: false });
    const loading = scope.session();
    const committing = scope.commit();
    assert.ok(committing instanceof Promise, "the load is still in flight");
    const session = await loading;
    assert.equal(session.get("user"), "alice");
    assert.equal((await committing).varyCookie, true);
  });

  test("destroy then regenerate does not carry the old data to the new id", async () => {
    const { store, sessions, header, id } = await loggedIn();
    const scope = sessions.begin({ cookieHeader: header, encrypted: false });
    const session = await scope.session();
    session.destroy();
    session.regenerate();
    session.set("fresh", "yes");
    const headers = await scope.commit();
    assert.notEqual(session.id, id);
    assert.equal(await store.get(id), undefined, "the old record is gone");
    assert.deepEqual((await store.get(session.id))?.data, { fresh: "yes" }, "only the new data");
    assert.match(headers.setCookie[0] ?? "", new RegExp(`^session=${session.id}\\.`));
  });

  test("the rolling touch is due exactly when touchAfter has passed, not a millisecond later", async () => {
    // Only Date is faked: the store's expiry checks and the engine's clock move together,
    // while the store timeout's timers stay real.
    mock.timers.enable({ apis: ["Date"], now: Date.UTC(2030, 0, 1) });
    try {
      const store = new CountingStore(memoryStore());
      const sessions = createSessions({ secret, store, lifetime: "1h", touchAfter: "10m" });
      const first = sessions.begin({ cookieHeader: undefined, encrypted: false });
      (await first.session()).set("user", "alice");
      const header = ((await first.commit()).setCookie[0] ?? "").split(";")[0] ?? "";
      const read = async () => {
        store.reset();
        const scope = sessions.begin({ cookieHeader: header, encrypted: false });
        await scope.session();
        const headers = await scope.commit();
        return { touches: store.calls.touch, setCookie: headers.setCookie };
      };
      mock.timers.setTime(Date.UTC(2030, 0, 1) + 10 * 60_000 - 1);
      assert.deepEqual(await read(), { touches: 0, setCookie: [] }, "1 ms early: no touch");
      mock.timers.setTime(Date.UTC(2030, 0, 1) + 10 * 60_000);
      const due = await read();
      assert.equal(due.touches, 1, "touchAfter reached: one touch");
      assert.match(due.setCookie[0] ?? "", /Max-Age=3600/);
      assert.deepEqual(await read(), { touches: 0, setCookie: [] }, "then throttled again");
    } finally {
      mock.timers.reset();
    }
  });

  test("a read-only request commits synchronously, with no store call to wait for", async () => {
    const { sessions, header } = await loggedIn();
    const scope = sessions.begin({ cookieHeader: header, encrypted: false });
    await scope.session();
    const result = scope.commit();
    assert.ok(!(result instanceof Promise));
    assert.deepEqual(result, { setCookie: [], varyCookie: true });
  });
});

describe("store errors", () => {
  test("a value the store cannot encode is the application's error, not an outage", async () => {
    const sessions = createSessions({ secret, store: memoryStore() });
    const scope = sessions.begin({ cookieHeader: undefined, encrypted: false });
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    (await scope.session()).set("loop", circular as never);
    await assert.rejects(
      Promise.resolve().then(() => scope.commit()),
      (error: unknown) => {
        assert.ok(error instanceof SessionValueError, String(error));
        assert.equal(error.code, "TESSERA_SESSION_VALUE");
        assert.match(error.message, /key "loop"/);
        return true;
      },
    );
  });
});
