import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { createSessions } from "../../src/engine/manager.ts";
import { Session, SessionState } from "../../src/session/session.ts";
import { memoryStore } from "../../src/stores/memory.ts";

function loaded(data: Record<string, unknown>): SessionState {
  return new SessionState(
    { id: "A".repeat(43), data, createdAt: 1, expiresAt: 2 },
    { defaultPermanent: true },
  );
}

describe("Session", () => {
  test("typed get/set/has/delete/entries track each change", () => {
    const state = loaded({ username: "alice", theme: "dark" });
    const session = new Session<{ username: string; theme: string; visits: number }>(state);
    const name: string | undefined = session.get("username");
    assert.equal(name, "alice");
    session.set("visits", 3);
    session.delete("theme");
    assert.equal(session.has("theme"), false);
    assert.deepEqual(session.entries(), [
      ["username", "alice"],
      ["visits", 3],
    ]);
    assert.deepEqual([...state.changes.set], [["visits", 3]]);
    assert.deepEqual([...state.changes.delete], ["theme"]);
    assert.equal(state.changes.clear, false);
  });

  test("wrong keys, value types and reserved keys are compile errors", () => {
    const store = memoryStore();
    const session = new Session<{ username: string; theme?: string }>(loaded({}));
    // @ts-expect-error: "usrename" is not a key of the session type.
    session.get("usrename");
    // @ts-expect-error: username holds a string.
    assert.throws(() => session.set("username", undefined), /cannot hold undefined/);
    // @ts-expect-error: an optional key still cannot be set to undefined (delete it instead).
    assert.throws(() => session.set("theme", undefined), /cannot hold undefined/);
    // @ts-expect-error: a Date would come back from a store as a string.
    createSessions<{ when: Date }>({ secret: "session-test-secret-0123456789abcdef", store });
    // Flask's own cookie keeps a datetime (and tuples, bytes, big ints): allowed there.
    createSessions<{ when: Date; big: bigint }>({
      secret: "session-test-secret-0123456789abcdef",
      format: "flask",
    });
    // @ts-expect-error: a Set would come back as {} (the session type is checked where it is
    // declared, at createSessions; a Session handed to an adapter only carries it).
    createSessions<{ tags: Set<string> }>({
      secret: "session-test-secret-0123456789abcdef",
      store,
    });
    // @ts-expect-error: tessera's own keys are not the application's to write.
    new Session<{ _flashes: string; user: string }>(loaded({})).set("_flashes", "x");
  });

  test("clear removes every key and later sets apply on top", () => {
    const state = loaded({ a: 1, b: 2 });
    const session = new Session(state);
    session.clear();
    session.set("c", 3);
    session.delete("a");
    assert.equal(state.changes.clear, true);
    assert.deepEqual([...state.changes.set], [["c", 3]]);
    assert.deepEqual([...state.changes.delete], []);
    assert.deepEqual(session.toJSON(), { c: 3 });
  });

  test("after a clear, deleting a key set since is no separate change", () => {
    const state = loaded({ a: 1 });
    const session = new Session(state);
    session.clear();
    session.set("b", 2);
    session.delete("b");
    assert.equal(state.changes.clear, true);
    assert.deepEqual([...state.changes.set], []);
    assert.deepEqual([...state.changes.delete], [], "the clear already removes it");
  });

  test("a set after a delete of the same key (and the reverse) leaves one change", () => {
    const state = loaded({ a: 1 });
    const session = new Session(state);
    session.delete("a");
    session.set("a", 2);
    assert.deepEqual([...state.changes.delete], []);
    assert.deepEqual([...state.changes.set], [["a", 2]]);
    session.delete("a");
    assert.deepEqual([...state.changes.set], []);
    assert.deepEqual([...state.changes.delete], ["a"]);
  });

  test("reading changes nothing; deleting a missing key changes nothing", () => {
    const state = loaded({ a: 1 });
    const session = new Session(state);
    session.get("a");
    session.has("b");
    session.entries();
    session.delete("missing");
    session.consumeFlashes();
    assert.equal(state.changes.isEmpty, true);
  });

  test("values the store cannot keep are refused at the line that sets them", () => {
    // Each of these is already a compile error; JavaScript callers get the runtime check.
    const session = new Session(loaded({})) as unknown as Session<Record<string, never>> & {
      set(key: string, value: unknown): unknown;
    };
    assert.throws(() => session.set("f", () => 1), /a function cannot be stored/);
    assert.throws(() => session.set("n", Number.NaN), /finite numbers/);
    assert.throws(() => session.set("b", 1n), /a bigint cannot be stored/);
    assert.throws(() => session.set("", 1), /non-empty strings/);
  });

  test("markModified records an in-place mutation", () => {
    const state = loaded({ cart: ["apple"] });
    const session = new Session<{ cart: string[] }>(state);
    session.get("cart")?.push("pear");
    assert.equal(state.changes.isEmpty, true);
    session.markModified("cart");
    assert.deepEqual(state.changes.set.get("cart"), ["apple", "pear"]);
  });

  test("permanent is stored as Flask's _permanent and hidden from entries", () => {
    const state = loaded({ user: "a" });
    const session = new Session(state);
    assert.equal(session.permanent, true);
    session.permanent = false;
    assert.equal(state.data.get("_permanent"), false);
    assert.deepEqual(session.keys(), ["user"]);
    session.permanent = false;
    assert.equal(state.changes.set.size, 1);
    session.flash("hello");
    assert.deepEqual(session.entries(), [["user", "a"]], "neither _permanent nor _flashes");
    assert.deepEqual(session.toJSON(), { user: "a" });
  });

  test("setting permanent to the value it already has changes nothing", () => {
    const state = loaded({ user: "a" });
    const session = new Session(state);
    session.permanent = true;
    assert.equal(state.changes.isEmpty, true, "no write for a request that changed nothing");
    const stored = loaded({ user: "a", _permanent: false });
    new Session(stored).permanent = false;
    assert.equal(stored.changes.isEmpty, true);
  });

  test("flashes keep Flask's [category, message] pairs and are consumed once", () => {
    const state = loaded({});
    const session = new Session(state);
    session.flash("Saved").flash("Careful", "warning");
    assert.deepEqual(state.data.get("_flashes"), [
      ["message", "Saved"],
      ["warning", "Careful"],
    ]);
    assert.deepEqual(session.peekFlashes().length, 2);
    assert.deepEqual(session.consumeFlashes({ category: ["warning"] }), [
      { category: "warning", message: "Careful" },
    ]);
    assert.deepEqual(session.consumeFlashes(), [{ category: "message", message: "Saved" }]);
    assert.equal(state.data.has("_flashes"), false);
    assert.deepEqual(session.consumeFlashes(), []);
  });

  test("malformed stored flashes are skipped, not thrown", () => {
    const session = new Session(loaded({ _flashes: [["ok", "fine"], "junk", [1, 2], null] }));
    assert.deepEqual(session.consumeFlashes(), [{ category: "ok", message: "fine" }]);
  });

  test("regenerate keeps data under a new id; destroy empties it", () => {
    const state = loaded({ user: "a" });
    const session = new Session(state);
    const before = session.id;
    session.regenerate();
    assert.notEqual(session.id, before);
    assert.equal(state.fate, "rename");
    assert.equal(session.get("user"), "a");
    session.destroy();
    assert.equal(
      state.fate,
      "destroy",
      "destroy after regenerate must not carry the old data along",
    );
    assert.equal(session.get("user"), undefined);
    assert.equal(session.isNew, true, "after destroy the session starts over");

    const destroyed = loaded({ user: "a" });
    new Session(destroyed).destroy();
    assert.equal(destroyed.fate, "destroy");
  });

  test("regenerate after destroy keeps the old record destroyed", () => {
    const state = loaded({ user: "a" });
    const session = new Session(state);
    session.destroy();
    const afterDestroy = session.id;
    session.regenerate();
    assert.equal(state.fate, "destroy", "renaming would carry the old record to the new id");
    assert.notEqual(session.id, afterDestroy);
    assert.equal(session.get("user"), undefined);
    assert.equal(session.isNew, true);
  });

  test("a new session's id is drawn once and then stays", () => {
    const session = new Session(new SessionState(undefined, { defaultPermanent: true }));
    assert.equal(session.isNew, true);
    const id = session.id;
    assert.match(id, /^[\w-]{43}$/);
    assert.equal(session.id, id);
  });
});
