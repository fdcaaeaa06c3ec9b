/**
 * The diagnostics_channel events (src/diagnostics.ts): each is published where the session's
 * fate is decided, with what a logger or an anomaly detector needs and no session id.
 */
import assert from "node:assert/strict";
import diagnostics from "node:diagnostics_channel";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { SealKeys, sealSession } from "../../src/codecs/sealed/index.ts";
import { channelNames, sessionRefOf } from "../../src/diagnostics.ts";
import { createSessions } from "../../src/engine/manager.ts";
import { StoreUnavailableError } from "../../src/errors.ts";
import { memoryStore } from "../../src/stores/memory.ts";
import { sqliteStore } from "../../src/stores/sqlite.ts";
import { engineRequest } from "../support/engine-request.ts";

const secret = "diagnostics-test-secret-0123456789abcdef";
/** The channels, as a subscriber names them (checked against the module's own list). */
const CHANNELS = [
  "tessera:session:load",
  "tessera:session:reject",
  "tessera:session:commit",
  "tessera:session:touch",
  "tessera:session:regenerate",
  "tessera:session:destroy",
  "tessera:store:call",
  "tessera:store:error",
  "tessera:store:corrupt",
  "tessera:session:migrate",
];

const tempDir = mkdtempSync(join(tmpdir(), "tessera-diagnostics-"));
after(() => rmSync(tempDir, { recursive: true, force: true }));

/** Every event published while `action` runs, as [channel, message]. */
async function eventsDuring(action: () => Promise<void>): Promise<[string, unknown][]> {
  const seen: [string, unknown][] = [];
  const listeners = CHANNELS.map((name) => {
    const listener = (message: unknown) => seen.push([name, message]);
    diagnostics.subscribe(name, listener);
    return [name, listener] as const;
  });
  try {
    await action();
  } finally {
    for (const [name, listener] of listeners) diagnostics.unsubscribe(name, listener);
  }
  return seen;
}

const withoutLatency = (events: [string, unknown][]) =>
  events.filter(([name]) => name !== "tessera:store:call");

test("the documented channel names are the ones published", () => {
  assert.deepEqual([...channelNames].sort(), [...CHANNELS].sort());
});

describe("session events", () => {
  test("login, read, touch, regenerate and logout, each once, with a reference instead of the id", async () => {
    const sessions = createSessions({ secret, store: memoryStore() });
    let cookie: string | undefined;
    let firstId = "";
    let secondId = "";
    const events = await eventsDuring(async () => {
      const login = await engineRequest(sessions, undefined, (session) =>
        session.set("user", "ada"),
      );
      cookie = login.cookie;
      firstId = login.session.id;
      await engineRequest(sessions, cookie, (session) => session.get("user"));
      await engineRequest(sessions, cookie, (session) => session.touch());
      const moved = await engineRequest(sessions, cookie, (session) => session.regenerate());
      cookie = moved.cookie;
      secondId = moved.session.id;
      await engineRequest(sessions, cookie, (session) => session.destroy());
    });
    const touch = events.find(([name]) => name === "tessera:session:touch")?.[1];
    const touchedUntil = (touch as { expiresAt?: unknown } | undefined)?.expiresAt;
    assert.equal(typeof touchedUntil, "number", "the touch event carries the new expiry");
    const first = sessionRefOf(firstId);
    const second = sessionRefOf(secondId);
    assert.deepEqual(withoutLatency(events), [
      // No cookie yet: a load that found nothing (and cost no store call).
      ["tessera:session:load", { format: "id", found: false, sessionRef: undefined }],
      ["tessera:session:commit", { format: "id", kind: "create", sessionRef: first }],
      ["tessera:session:load", { format: "id", found: true, sessionRef: first }],
      ["tessera:session:load", { format: "id", found: true, sessionRef: first }],
      [
        "tessera:session:touch",
        {
          format: "id",
          sessionRef: first,
          expiresAt: touchedUntil,
        },
      ],
      ["tessera:session:load", { format: "id", found: true, sessionRef: first }],
      ["tessera:session:regenerate", { format: "id", fromRef: first, toRef: second }],
      ["tessera:session:load", { format: "id", found: true, sessionRef: second }],
      ["tessera:session:destroy", { format: "id", sessionRef: second, cause: "destroy" }],
    ]);
    const text = JSON.stringify(events);
    assert.ok(!text.includes(firstId) && !text.includes(secondId), "no session id in any event");
    // Store latency: one event per store call, each with its operation and a duration.
    const calls = events
      .filter(([name]) => name === "tessera:store:call")
      .map(
        ([, message]) =>
          message as { store: string; operation: string; durationMs: number; ok: boolean },
      );
    assert.deepEqual(
      calls.map(({ operation }) => operation),
      ["apply", "get", "get", "touch", "get", "rename", "get", "destroy"],
    );
    for (const call of calls) {
      assert.equal(call.store, "memory");
      assert.equal(call.ok, true);
      assert.ok(call.durationMs >= 0);
    }
  });

  test("rejected cookies give their reason: malformed, bad-signature, unknown-id", async () => {
    const sessions = createSessions({ secret, store: memoryStore() });
    const other = createSessions({ secret: `${secret}-other`, store: memoryStore() });
    const forged = await engineRequest(other, undefined, (session) => session.set("user", "eve"));
    const gone = await engineRequest(sessions, undefined, (session) => session.set("user", "ada"));
    await sessions.store.destroy(gone.session.id);
    const events = await eventsDuring(async () => {
      await engineRequest(sessions, "session=not-a-token", (session) => session.get("user"));
      await engineRequest(sessions, forged.cookie, (session) => session.get("user"));
      await engineRequest(sessions, gone.cookie, (session) => session.get("user"));
    });
    const rejects = events.filter(([name]) => name === "tessera:session:reject").map(([, m]) => m);
    assert.deepEqual(rejects, [
      { format: "id", reason: "malformed", cookieName: "session" },
      { format: "id", reason: "bad-signature", cookieName: "session" },
      { format: "id", reason: "unknown-id", cookieName: "session" },
    ]);
    const loads = events.filter(([name]) => name === "tessera:session:load").map(([, m]) => m);
    assert.deepEqual(loads, Array(3).fill({ format: "id", found: false, sessionRef: undefined }));
  });

  test("cookie sessions: expired, too deep and emptied", async () => {
    const sessions = createSessions({ secret, format: "sealed" });
    const keys = new SealKeys(secret);
    const expired = sealSession({ user: "ada" }, { keys, expiresAt: Date.now() - 5_000 });
    const events = await eventsDuring(async () => {
      await engineRequest(sessions, `session=${expired}`, (session) => session.get("user"));
      const login = await engineRequest(sessions, undefined, (session) =>
        session.set("user", "ada"),
      );
      await engineRequest(sessions, login.cookie, (session) => session.delete("user"));
    });
    assert.deepEqual(withoutLatency(events), [
      ["tessera:session:reject", { format: "sealed", reason: "expired", cookieName: "session" }],
      ["tessera:session:load", { format: "sealed", found: false, sessionRef: undefined }],
      ["tessera:session:load", { format: "sealed", found: false, sessionRef: undefined }],
      ["tessera:session:commit", { format: "sealed", kind: "create", sessionRef: undefined }],
      ["tessera:session:load", { format: "sealed", found: true, sessionRef: undefined }],
      ["tessera:session:destroy", { format: "sealed", sessionRef: undefined, cause: "emptied" }],
    ]);
  });
});

describe("store events", () => {
  test("a failing store publishes the error the request sees, with its operation and duration", async () => {
    const store = sqliteStore({ path: join(tempDir, "closed.db"), sweepInterval: false });
    const sessions = createSessions({ secret, store });
    const login = await engineRequest(sessions, undefined, (session) => session.set("user", "ada"));
    await store.close();
    const events = await eventsDuring(async () => {
      await assert.rejects(
        engineRequest(sessions, login.cookie, (session) => session.get("user")),
        StoreUnavailableError,
      );
    });
    const errors = events.filter(([name]) => name === "tessera:store:error").map(([, m]) => m);
    assert.equal(errors.length, 1);
    const [error] = errors as {
      store: string;
      operation: string;
      error: Error;
      durationMs: number;
    }[];
    assert.equal(error?.store, "sqlite");
    assert.equal(error?.operation, "get");
    assert.ok(error?.error instanceof StoreUnavailableError);
    assert.ok((error?.durationMs ?? -1) >= 0);
    const calls = events.filter(([name]) => name === "tessera:store:call").map(([, m]) => m);
    assert.deepEqual(calls, [
      { store: "sqlite", operation: "get", durationMs: error?.durationMs, ok: false },
    ]);
  });

  test("with no subscriber nothing is published and requests behave the same", async () => {
    for (const name of CHANNELS) assert.equal(diagnostics.hasSubscribers(name), false, name);
    const sessions = createSessions({ secret, store: memoryStore() });
    const login = await engineRequest(sessions, undefined, (session) => session.set("user", "ada"));
    const read = await engineRequest(sessions, login.cookie, (session) => session.get("user"));
    assert.equal(read.session.get("user"), "ada");
  });
});
