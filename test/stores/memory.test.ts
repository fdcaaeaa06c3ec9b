import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ConfigError } from "../../src/errors.ts";
import { runStoreConformance } from "../../src/stores/conformance.ts";
import type { SessionStore } from "../../src/stores/contract.ts";
import { memoryStore } from "../../src/stores/memory.ts";

runStoreConformance("memory", () => memoryStore());

const HOUR = 3_600_000;

function write(store: SessionStore, id: string, data: Record<string, unknown> = { id }) {
  return store.apply(
    id,
    { clear: false, set: new Map(Object.entries(data)), delete: new Set() },
    { createdAt: Date.now(), expiresAt: Date.now() + HOUR, mustExist: false },
  );
}

async function present(store: SessionStore, ids: readonly string[]): Promise<string[]> {
  const found: string[] = [];
  for (const id of ids) if ((await store.get(id)) !== undefined) found.push(id);
  return found;
}

describe("memory store", () => {
  test("evicts the least recently written session past maxEntries", async () => {
    const store = memoryStore({ maxEntries: 3 });
    for (const id of ["a", "b", "c", "d"]) await write(store, id);
    // Checked through list, because get would refresh what it looks at.
    const listed = [];
    for await (const { id } of store.list()) listed.push(id);
    assert.deepEqual(listed.sort(), ["b", "c", "d"]);
  });

  test("a get refreshes recency, so the least recently used is evicted instead", async () => {
    const store = memoryStore({ maxEntries: 3 });
    for (const id of ["a", "b", "c"]) await write(store, id);
    await store.get("a");
    await write(store, "d");
    assert.deepEqual(await present(store, ["a", "b", "c", "d"]), ["a", "c", "d"]);
  });

  test("a session just read outlives at least half a store's worth of new sessions", async () => {
    const maxEntries = 10;
    const store = memoryStore({ maxEntries });
    const ids = Array.from({ length: maxEntries }, (_, index) => `s${index}`);
    for (const id of ids) await write(store, id);
    // The oldest, and one near the newest end (which a read leaves where it is).
    await store.get("s0");
    await store.get("s8");
    const newcomers = Array.from({ length: maxEntries / 2 - 1 }, (_, index) => `n${index}`);
    for (const id of newcomers) await write(store, id);
    const listed = [];
    for await (const { id } of store.list()) listed.push(id);
    assert.ok(listed.includes("s0"), `s0 was evicted: ${listed.join(" ")}`);
    assert.ok(listed.includes("s8"), `s8 was evicted: ${listed.join(" ")}`);
    assert.equal(listed.length, maxEntries);
  });

  test("a write and a touch refresh recency", async () => {
    const store = memoryStore({ maxEntries: 3 });
    for (const id of ["a", "b", "c"]) await write(store, id);
    await write(store, "a", { again: true });
    await store.touch("b", Date.now() + HOUR);
    await write(store, "d");
    assert.deepEqual(await present(store, ["a", "b", "c", "d"]), ["a", "b", "d"]);
  });

  test("never holds more than maxEntries sessions", async () => {
    const store = memoryStore({ maxEntries: 10 });
    const ids = Array.from({ length: 100 }, (_, index) => `s${index}`);
    for (const id of ids) await write(store, id);
    let count = 0;
    for await (const _ of store.list()) count += 1;
    assert.equal(count, 10);
    assert.deepEqual(await present(store, ids), ids.slice(90));
  });

  test("purgeExpired counts exactly the expired sessions", async () => {
    const store = memoryStore();
    await write(store, "live");
    for (const id of ["x", "y"]) {
      await store.apply(
        id,
        { clear: false, set: new Map(), delete: new Set() },
        { createdAt: Date.now(), expiresAt: Date.now() - 1, mustExist: false },
      );
    }
    assert.equal(await store.purgeExpired(), 2);
    assert.equal(await store.purgeExpired(), 0);
    assert.notEqual(await store.get("live"), undefined);
  });

  test("values behave as in a real store: a Date comes back as its JSON string", async () => {
    const store = memoryStore();
    const when = new Date("2024-05-06T07:08:09.010Z");
    await write(store, "d", { when });
    assert.deepEqual((await store.get("d"))?.data, { when: "2024-05-06T07:08:09.010Z" });
  });

  test("a value that cannot be stored as JSON is a clear error naming its key", async () => {
    const store = memoryStore();
    await assert.rejects(write(store, "big", { counter: 10n }), /key "counter".*JSON-compatible/);
  });

  test("rejects a maxEntries that is not a positive integer", () => {
    for (const maxEntries of [0, -1, 1.5, Number.NaN]) {
      assert.throws(
        () => memoryStore({ maxEntries }),
        (error: unknown) =>
          error instanceof ConfigError && error.message.includes(`got ${String(maxEntries)}`),
      );
    }
  });
});
