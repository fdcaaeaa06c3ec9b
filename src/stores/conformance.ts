/**
 * The conformance suite every session store passes (`tessera/testing`). Call it at the top level
 * of a node:test file:
 *
 *     runStoreConformance("sqlite", () => sqliteStore({ path: ":memory:" }));
 *
 * Each test gets a fresh store from `makeStore` and closes it afterwards. Ids are random, so the
 * suite can run against a shared server (Redis, PostgreSQL) next to other data and other runs.
 * Expiry is mostly tested with timestamps already in the past, so the suite stays fast.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { afterEach, beforeEach, describe, type TestContext, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import type { SessionData, SessionPatch, SessionStore, SessionSummary } from "./contract.ts";
import { EMPTY_PATCH, keepsCreatedAt } from "./contract.ts";

export interface StoreConformanceOptions<S extends SessionStore = SessionStore> {
  /**
   * Runs after each test, before the store is closed: remove what the test left in a shared
   * backend (for example every key under a per-run prefix).
   */
  readonly cleanup?: (store: S) => Promise<void>;
  /**
   * True for stores whose backend deletes expired records by itself (Redis key TTLs): their
   * `purgeExpired` may find nothing left to delete, so its count is not checked.
   */
  readonly selfExpiring?: boolean;
  /**
   * How far (ms) an `expiresAt` read back may differ from the one written. Zero by default.
   * A store that keeps the expiry as a time-to-live on the server (Redis) converts it to and
   * from the app's clock on each call, which can move it by the time a call spends in flight;
   * in exchange, a server clock that disagrees with the app's cannot stretch or shorten
   * lifetimes.
   */
  readonly expiryTolerance?: number;
  /**
   * False for stores whose records have no creation time (Redis with Flask-Session's layout):
   * `createdAt` must still be a number, but is not compared with the one written. True by
   * default.
   */
  readonly keepsCreatedAt?: boolean;
  /**
   * True for stores that can store a bigint (MessagePack, as Python's int): the test of values
   * that cannot be stored then uses only values no store can hold. False by default.
   */
  readonly storesBigInt?: boolean;
}

const MINUTE = 60_000;

/** A fresh 256-bit id, as the engine makes them, so runs on a shared server never collide. */
function newId(): string {
  return randomBytes(32).toString("base64url");
}

function patchOf(
  parts: { set?: SessionData; delete?: readonly string[]; clear?: boolean } = {},
): SessionPatch {
  return {
    clear: parts.clear ?? false,
    set: new Map(Object.entries(parts.set ?? {})),
    delete: new Set(parts.delete ?? []),
  };
}

async function collect(iterable: AsyncIterable<SessionSummary>): Promise<SessionSummary[]> {
  const items: SessionSummary[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

export function runStoreConformance<S extends SessionStore>(
  name: string,
  makeStore: () => Promise<S> | S,
  options: StoreConformanceOptions<S> = {},
): void {
  describe(`${name}: session store conformance`, () => {
    let store: S;
    let closedByTest = false;

    beforeEach(async () => {
      store = await makeStore();
      closedByTest = false;
    });

    afterEach(async () => {
      if (closedByTest) return;
      await options.cleanup?.(store);
      await store.close();
    });

    /** Creates a live record (or an expired one, with a past `expiresAt`). */
    async function create(
      data: SessionData,
      times: { createdAt?: number; expiresAt?: number } = {},
      id = newId(),
    ): Promise<{ id: string; createdAt: number; expiresAt: number }> {
      const createdAt = times.createdAt ?? Date.now();
      const expiresAt = times.expiresAt ?? Date.now() + 10 * MINUTE;
      const written = await store.apply(id, patchOf({ set: data }), {
        createdAt,
        expiresAt,
        mustExist: false,
      });
      assert.equal(written, true, "apply with mustExist: false must always write");
      return { id, createdAt, expiresAt };
    }

    async function update(id: string, patch: SessionPatch, expiresAt = Date.now() + 10 * MINUTE) {
      return store.apply(id, patch, { createdAt: Date.now(), expiresAt, mustExist: true });
    }

    /**
     * A fresh id that `fromId` may be renamed to, as the engine picks it: through the store's
     * `renameTarget` when it has one (a sharded store keeps both on one shard).
     */
    function targetFor(fromId: string): string {
      return store.renameTarget?.(fromId, newId()) ?? newId();
    }

    /**
     * Compares a record or summary read back with what was written; `expiresAt` may differ by
     * `expiryTolerance`.
     */
    function assertSameTimes<R extends { expiresAt: number; createdAt: number }>(
      actual: R | undefined,
      expected: R | undefined,
      message?: string,
    ): void {
      if (options.keepsCreatedAt === false && actual !== undefined && expected !== undefined) {
        assert.ok(Number.isFinite(actual.createdAt), `${message ?? "createdAt"}: not a number`);
        actual = { ...actual, createdAt: 0 };
        expected = { ...expected, createdAt: 0 };
      }
      const tolerance = options.expiryTolerance ?? 0;
      if (actual !== undefined && expected !== undefined && tolerance > 0) {
        const drift = Math.abs(actual.expiresAt - expected.expiresAt);
        assert.ok(
          drift <= tolerance,
          `${message ?? "expiresAt"}: read back ${actual.expiresAt}, written ${expected.expiresAt} (${drift} ms apart, tolerance ${tolerance} ms)`,
        );
        assert.deepEqual({ ...actual, expiresAt: 0 }, { ...expected, expiresAt: 0 }, message);
        return;
      }
      assert.deepEqual(actual, expected, message);
    }

    async function dataOf(id: string): Promise<SessionData | undefined> {
      return (await store.get(id))?.data;
    }

    /**
     * Skips the running test, saying why, when the store declares that it lacks `capability`
     * (a capability that defaults to true): such a store is not held to what it says it cannot do.
     */
    function skipWithout(
      t: TestContext,
      capability: "atomicPatch" | "listing",
      needs: string,
    ): boolean {
      if (store.capabilities?.[capability] !== false) return false;
      t.skip(`the store declares ${capability}: false, and this test needs ${needs}`);
      return true;
    }

    test("names its kind", () => {
      assert.equal(typeof store.kind, "string");
      assert.ok(store.kind.length > 0, "kind must not be empty");
    });

    describe("get and create", () => {
      test("get of an unknown id resolves to undefined", async () => {
        assert.equal(await store.get(newId()), undefined);
      });

      test("apply with mustExist: false creates the record with its data and times", async () => {
        const createdAt = Date.now() - 5_000;
        const expiresAt = Date.now() + 7 * MINUTE;
        const { id } = await create({ user: "ada", n: 1 }, { createdAt, expiresAt });
        assertSameTimes(await store.get(id), {
          data: { user: "ada", n: 1 },
          createdAt,
          expiresAt,
        });
      });

      test("JSON values round-trip unchanged", async () => {
        const data: SessionData = {
          text: "plain",
          empty: "",
          unicode: 'héllo wörld — 日本語 🍪 \u2028 "quoted" \\ back',
          integer: 42,
          negative: -17,
          float: 0.1 + 0.2,
          huge: Number.MAX_VALUE,
          big: Number.MAX_SAFE_INTEGER,
          tiny: 5e-324,
          zero: 0,
          yes: true,
          no: false,
          nothing: null,
          list: [1, "two", null, false, [3, [4]], { five: 5 }],
          emptyList: [],
          emptyObject: {},
          nested: { a: { b: { c: { d: ["deep", { e: "deeper" }] } } } },
          "key with spaces and ünïcode 🔑": "value",
          large: "x".repeat(64 * 1024),
        };
        const { id } = await create(data);
        assert.deepEqual(await dataOf(id), data);
      });

      test('a key named "__proto__" is stored as an ordinary key', async () => {
        const { id } = await create({ before: 1 });
        const patch: SessionPatch = {
          clear: false,
          set: new Map([["__proto__", { polluted: true }]]),
          delete: new Set(),
        };
        assert.equal(await update(id, patch), true);
        assert.deepEqual(
          await dataOf(id),
          JSON.parse('{"before": 1, "__proto__": {"polluted": true}}'),
        );
        assert.equal(({} as Record<string, unknown>).polluted, undefined);
      });

      test("apply with mustExist: true on a missing id resolves false and creates nothing", async () => {
        const id = newId();
        const written = await store.apply(id, patchOf({ set: { a: 1 } }), {
          createdAt: Date.now(),
          expiresAt: Date.now() + MINUTE,
          mustExist: true,
        });
        assert.equal(written, false);
        assert.equal(await store.get(id), undefined);
      });

      test("apply with mustExist: true on a live record writes it and resolves true", async () => {
        const { id } = await create({ a: 1 });
        assert.equal(await update(id, patchOf({ set: { b: 2 } })), true);
        assert.deepEqual(await dataOf(id), { a: 1, b: 2 });
      });
    });

    describe("patch semantics", () => {
      test("set adds and overwrites keys and keeps keys not in the patch", async () => {
        const { id } = await create({ keep: "me", change: 1 });
        await update(id, patchOf({ set: { change: 2, added: [1] } }));
        assert.deepEqual(await dataOf(id), { keep: "me", change: 2, added: [1] });
      });

      test("set replaces a nested value whole instead of merging into it", async () => {
        const { id } = await create({ prefs: { theme: "dark", lang: "en" } });
        await update(id, patchOf({ set: { prefs: { lang: "fr" } } }));
        assert.deepEqual(await dataOf(id), { prefs: { lang: "fr" } });
      });

      test("set to null stores null rather than deleting the key", async () => {
        const { id } = await create({ a: 1 });
        await update(id, patchOf({ set: { a: null } }));
        assert.deepEqual(await dataOf(id), { a: null });
      });

      test("delete removes only the named keys, and deleting an absent key is fine", async () => {
        const { id } = await create({ a: 1, b: 2, c: 3 });
        await update(id, patchOf({ delete: ["a", "never-set"] }));
        assert.deepEqual(await dataOf(id), { b: 2, c: 3 });
      });

      test("set and delete apply together", async () => {
        const { id } = await create({ a: 1, b: 2 });
        await update(id, patchOf({ set: { c: 3 }, delete: ["a"] }));
        assert.deepEqual(await dataOf(id), { b: 2, c: 3 });
      });

      test("clear removes every stored key before set applies", async () => {
        const { id } = await create({ a: 1, b: 2 });
        await update(id, patchOf({ clear: true, set: { c: 3 } }));
        assert.deepEqual(await dataOf(id), { c: 3 });
      });

      test("clear alone leaves an empty record that still exists", async () => {
        const { id } = await create({ a: 1 });
        await update(id, patchOf({ clear: true }));
        assert.deepEqual(await dataOf(id), {});
        assert.equal(await update(id, patchOf({ set: { b: 2 } })), true);
        assert.deepEqual(await dataOf(id), { b: 2 });
      });

      test("an empty patch keeps the data and moves the expiry", async () => {
        const { id } = await create({ a: 1 }, { expiresAt: Date.now() + MINUTE });
        const later = Date.now() + 30 * MINUTE;
        assert.equal(await update(id, EMPTY_PATCH, later), true);
        const record = await store.get(id);
        assert.deepEqual(record?.data, { a: 1 });
        assertSameTimes(record, record && { ...record, expiresAt: later });
      });

      if (options.keepsCreatedAt === false) {
        test("a store that keeps no creation time says so, and reads createdAt as the time of the read", async () => {
          assert.equal(keepsCreatedAt(store), false, "the engine refuses absoluteLifetime by it");
          const { id } = await create({ a: 1 }, { createdAt: Date.now() - 60 * MINUTE });
          const before = Date.now();
          const record = await store.get(id);
          assert.ok(record !== undefined && record.createdAt >= before - 1_000);
          assert.ok(record.createdAt <= Date.now() + 1_000);
        });
      } else {
        test("createdAt is kept on later writes", async () => {
          const createdAt = Date.now() - 60 * MINUTE;
          const { id } = await create({ a: 1 }, { createdAt });
          await store.apply(id, patchOf({ set: { b: 2 } }), {
            createdAt: Date.now(),
            expiresAt: Date.now() + MINUTE,
            mustExist: true,
          });
          await store.apply(id, patchOf({ set: { c: 3 } }), {
            createdAt: Date.now(),
            expiresAt: Date.now() + MINUTE,
            mustExist: false,
          });
          assert.equal((await store.get(id))?.createdAt, createdAt);
        });
      }

      test("values in the patch are copied, not kept by reference", async () => {
        const id = newId();
        const value = { list: [1, 2], inner: { x: 1 } };
        await store.apply(id, patchOf({ set: { value } }), {
          createdAt: Date.now(),
          expiresAt: Date.now() + MINUTE,
          mustExist: false,
        });
        value.list.push(3);
        value.inner.x = 99;
        assert.deepEqual(await dataOf(id), { value: { list: [1, 2], inner: { x: 1 } } });
      });
    });

    describe("copies", () => {
      test("mutating data returned by get does not change the store", async () => {
        const { id } = await create({ a: 1, nested: { list: [1] } });
        const first = await dataOf(id);
        assert.ok(first);
        first.a = 2;
        first.added = true;
        (first.nested as { list: number[] }).list.push(2);
        assert.deepEqual(await dataOf(id), { a: 1, nested: { list: [1] } });
      });
    });

    describe("expiry", () => {
      test("a record whose expiresAt has passed is invisible to get", async () => {
        const { id } = await create({ a: 1 }, { expiresAt: Date.now() - 1 });
        assert.equal(await store.get(id), undefined);
      });

      test("a live record disappears once its expiresAt passes", async () => {
        const expiresAt = Date.now() + 150;
        const { id } = await create({ a: 1 }, { expiresAt });
        assert.deepEqual(await dataOf(id), { a: 1 }, "the record must be live before it expires");
        await sleep(Math.max(0, expiresAt - Date.now()) + 60);
        assert.equal(await store.get(id), undefined);
      });

      test("apply with mustExist: true on an expired record resolves false and does not revive it", async () => {
        const { id } = await create({ a: 1 }, { expiresAt: Date.now() - 1 });
        assert.equal(await update(id, patchOf({ set: { b: 2 } })), false);
        assert.equal(await store.get(id), undefined);
      });

      test("apply with mustExist: false on an expired id starts afresh without the old data", async () => {
        const { id } = await create(
          { old: true },
          { createdAt: Date.now() - 60 * MINUTE, expiresAt: Date.now() - 1 },
        );
        const createdAt = Date.now();
        const expiresAt = Date.now() + MINUTE;
        await store.apply(id, patchOf({ set: { fresh: true } }), {
          createdAt,
          expiresAt,
          mustExist: false,
        });
        assertSameTimes(await store.get(id), { data: { fresh: true }, createdAt, expiresAt });
      });

      test("touch does not revive an expired record", async () => {
        const { id } = await create({ a: 1 }, { expiresAt: Date.now() - 1 });
        await store.touch(id, Date.now() + 10 * MINUTE);
        assert.equal(await store.get(id), undefined);
      });

      test("rename of an expired record resolves false and creates nothing", async () => {
        const { id } = await create({ a: 1 }, { expiresAt: Date.now() - 1 });
        const toId = targetFor(id);
        const renamed = await store.rename(id, toId, {
          patch: patchOf({ set: { b: 2 } }),
          expiresAt: Date.now() + 10 * MINUTE,
        });
        assert.equal(renamed, false);
        assert.equal(await store.get(toId), undefined);
        assert.equal(await store.get(id), undefined);
      });
    });

    describe("touch", () => {
      test("touch moves the expiry and keeps data and createdAt", async () => {
        const createdAt = Date.now() - MINUTE;
        const { id } = await create({ a: 1 }, { createdAt, expiresAt: Date.now() + MINUTE });
        const later = Date.now() + 45 * MINUTE;
        await store.touch(id, later);
        assertSameTimes(await store.get(id), { data: { a: 1 }, createdAt, expiresAt: later });
      });

      test("touch can shorten the expiry, into the past ending the record", async () => {
        const { id } = await create({ a: 1 });
        await store.touch(id, Date.now() - 1);
        assert.equal(await store.get(id), undefined);
      });

      test("touch of an unknown id does nothing", async () => {
        const id = newId();
        await store.touch(id, Date.now() + MINUTE);
        assert.equal(await store.get(id), undefined);
      });
    });

    describe("destroy", () => {
      test("destroy deletes the record and leaves others alone", async () => {
        const gone = await create({ a: 1 });
        const kept = await create({ b: 2 });
        await store.destroy(gone.id);
        assert.equal(await store.get(gone.id), undefined);
        assert.deepEqual(await dataOf(kept.id), { b: 2 });
      });

      test("destroy is idempotent and accepts unknown ids", async () => {
        const { id } = await create({ a: 1 });
        await store.destroy(id);
        await store.destroy(id);
        await store.destroy(newId());
        assert.equal(await store.get(id), undefined);
      });

      test("a late write with mustExist: true does not bring a destroyed session back", async () => {
        const { id } = await create({ user: "ada" });
        await store.destroy(id);
        assert.equal(await update(id, patchOf({ set: { cart: [1] } })), false);
        assert.equal(await store.get(id), undefined);
      });
    });

    describe("rename", () => {
      /** Renames with an empty patch unless one is given. */
      function rename(fromId: string, toId: string, expiresAt: number, patch = EMPTY_PATCH) {
        return store.rename(fromId, toId, { patch, expiresAt });
      }

      test("renameTarget, when present, returns a well-formed id other than both it is given", () => {
        if (store.renameTarget === undefined) return;
        const fromId = newId();
        const freshId = newId();
        const target = store.renameTarget(fromId, freshId);
        assert.match(target, /^[A-Za-z0-9_-]{43}$/);
        assert.notEqual(target, fromId);
      });

      test("rename moves data and createdAt, sets the expiry and removes the old id", async () => {
        const createdAt = Date.now() - MINUTE;
        const { id } = await create({ user: "ada" }, { createdAt });
        const toId = targetFor(id);
        const expiresAt = Date.now() + 20 * MINUTE;
        assert.equal(await rename(id, toId, expiresAt), true);
        assert.equal(await store.get(id), undefined);
        assertSameTimes(await store.get(toId), { data: { user: "ada" }, createdAt, expiresAt });
        assert.equal(await update(toId, patchOf({ set: { more: 1 } })), true);
        assert.equal(await update(id, patchOf({ set: { more: 1 } })), false);
      });

      test("rename applies the patch's sets and deletes to the moved data, keeping createdAt", async () => {
        const createdAt = Date.now() - 5 * MINUTE;
        const { id } = await create(
          { user: "ada", cart: [1, 2], csrf: "old", keep: { nested: true } },
          { createdAt },
        );
        const toId = targetFor(id);
        const expiresAt = Date.now() + 20 * MINUTE;
        const patch = patchOf({ set: { user: "bob", csrf: "new", added: [3] }, delete: ["cart"] });
        assert.equal(await rename(id, toId, expiresAt, patch), true);
        assertSameTimes(await store.get(toId), {
          data: { user: "bob", csrf: "new", keep: { nested: true }, added: [3] },
          createdAt,
          expiresAt,
        });
        assert.equal(await store.get(id), undefined);
      });

      test("rename applies a clear patch: only the patch's sets remain", async () => {
        const createdAt = Date.now() - 5 * MINUTE;
        const { id } = await create({ user: "ada", cart: [1] }, { createdAt });
        const toId = targetFor(id);
        const expiresAt = Date.now() + 20 * MINUTE;
        assert.equal(
          await rename(id, toId, expiresAt, patchOf({ clear: true, set: { fresh: true } })),
          true,
        );
        assertSameTimes(await store.get(toId), { data: { fresh: true }, createdAt, expiresAt });
        assert.equal(await store.get(id), undefined);

        const emptied = targetFor(toId);
        assert.equal(await rename(toId, emptied, expiresAt, patchOf({ clear: true })), true);
        assertSameTimes(await store.get(emptied), { data: {}, createdAt, expiresAt });
      });

      test("rename of a missing source resolves false and creates nothing", async () => {
        const fromId = newId();
        const toId = targetFor(fromId);
        assert.equal(await rename(fromId, toId, Date.now() + MINUTE), false);
        assert.equal(await store.get(toId), undefined);
      });

      test("a rename that resolves false leaves both ids untouched, the target's record included", async () => {
        const target = await create({ target: "old" }, { createdAt: Date.now() - 9 * MINUTE });
        const targetRecord = await store.get(target.id);
        const expired = await create(
          { from: "expired" },
          { expiresAt: Date.now() - 1 },
          targetFor(target.id),
        );
        const patch = patchOf({ set: { from: "patched" }, clear: true });
        for (const fromId of [expired.id, targetFor(target.id)]) {
          assert.equal(await rename(fromId, target.id, Date.now() + 30 * MINUTE, patch), false);
          assertSameTimes(await store.get(target.id), targetRecord, "the target is unchanged");
          assert.equal(await store.get(fromId), undefined, "the source is not revived");
        }
      });

      test("rename onto an existing id replaces that record entirely", async () => {
        const source = await create({ from: "source" }, { createdAt: Date.now() - 2 * MINUTE });
        const target = await create(
          { target: "old" },
          { createdAt: Date.now() - 9 * MINUTE },
          targetFor(source.id),
        );
        const expiresAt = Date.now() + 15 * MINUTE;
        const patch = patchOf({ set: { added: 1 } });
        assert.equal(await rename(source.id, target.id, expiresAt, patch), true);
        assertSameTimes(await store.get(target.id), {
          data: { from: "source", added: 1 },
          createdAt: source.createdAt,
          expiresAt,
        });
        assert.equal(await store.get(source.id), undefined);
      });

      test("a patch that cannot be stored rejects the rename and leaves both ids as they were", async () => {
        const circular: Record<string, unknown> = { name: "loop" };
        circular.self = circular;
        for (const bad of options.storesBigInt ? [circular] : [10n, circular]) {
          const source = await create({ user: "ada" }, { createdAt: Date.now() - MINUTE });
          const sourceRecord = await store.get(source.id);
          const target = await create({ target: "old" }, {}, targetFor(source.id));
          const targetRecord = await store.get(target.id);
          const freshId = targetFor(source.id);
          for (const toId of [target.id, freshId]) {
            const patch = patchOf({ set: { fine: 1, bad }, delete: ["user"] });
            await assert.rejects(rename(source.id, toId, Date.now() + 30 * MINUTE, patch));
            assertSameTimes(await store.get(source.id), sourceRecord, "the source stays put");
            assertSameTimes(await store.get(target.id), targetRecord, "the target is unchanged");
            assert.equal(await store.get(freshId), undefined, "no record under the new id");
          }
          // The session still works under its old id.
          assert.equal(await update(source.id, patchOf({ set: { after: true } })), true);
          assert.deepEqual(await dataOf(source.id), { user: "ada", after: true });
        }
      });

      test("rename does not keep the source's data linked to the new id", async () => {
        const { id } = await create({ a: 1 });
        const toId = targetFor(id);
        await rename(id, toId, Date.now() + MINUTE);
        await store.apply(id, patchOf({ set: { b: 2 } }), {
          createdAt: Date.now(),
          expiresAt: Date.now() + MINUTE,
          mustExist: false,
        });
        assert.deepEqual(await dataOf(toId), { a: 1 });
        assert.deepEqual(await dataOf(id), { b: 2 });
      });
    });

    describe("concurrency", () => {
      test("50 concurrent applies of distinct keys to one session all land", async (t) => {
        if (skipWithout(t, "atomicPatch", "atomic per-key patches")) return;
        const { id } = await create({ start: true });
        const keys = Array.from({ length: 50 }, (_, index) => `key${index}`);
        const results = await Promise.all(
          keys.map((key, index) => update(id, patchOf({ set: { [key]: index } }))),
        );
        assert.deepEqual(
          results,
          keys.map(() => true),
        );
        const expected: SessionData = { start: true };
        keys.forEach((key, index) => {
          expected[key] = index;
        });
        assert.deepEqual(await dataOf(id), expected);
      });

      test("concurrent sets and deletes of distinct keys all land", async (t) => {
        if (skipWithout(t, "atomicPatch", "atomic per-key patches")) return;
        const initial: SessionData = {};
        for (let index = 0; index < 20; index += 1) initial[`old${index}`] = index;
        const { id } = await create(initial);
        await Promise.all(
          Array.from({ length: 20 }, (_, index) =>
            update(id, patchOf({ set: { [`new${index}`]: index }, delete: [`old${index}`] })),
          ),
        );
        const expected: SessionData = {};
        for (let index = 0; index < 20; index += 1) expected[`new${index}`] = index;
        assert.deepEqual(await dataOf(id), expected);
      });
    });

    describe("list", () => {
      test("list yields live sessions with their times, and not expired or destroyed ones", async (t) => {
        if (skipWithout(t, "listing", "list()")) return;
        const live = [await create({ n: 1 }), await create({ n: 2 }, { createdAt: 1_000 })];
        const expired = await create({ n: 3 }, { expiresAt: Date.now() - 1 });
        const destroyed = await create({ n: 4 });
        await store.destroy(destroyed.id);
        const listed = new Map((await collect(store.list())).map((item) => [item.id, item]));
        for (const session of live) {
          assertSameTimes(listed.get(session.id), {
            id: session.id,
            createdAt: session.createdAt,
            expiresAt: session.expiresAt,
          });
        }
        assert.equal(listed.has(expired.id), false, "an expired session must not be listed");
        assert.equal(listed.has(destroyed.id), false, "a destroyed session must not be listed");
      });

      test("list honours limit", async (t) => {
        if (skipWithout(t, "listing", "list()")) return;
        for (let index = 0; index < 3; index += 1) await create({ index });
        assert.equal((await collect(store.list({ limit: 2 }))).length, 2);
        assert.equal((await collect(store.list({ limit: 1 }))).length, 1);
        assert.equal((await collect(store.list({ limit: 0 }))).length, 0);
      });

      test("stopping a list early leaves the store working", async (t) => {
        if (skipWithout(t, "listing", "list()")) return;
        for (let index = 0; index < 3; index += 1) await create({ index });
        for await (const _ of store.list()) break;
        const { id } = await create({ after: true });
        assert.deepEqual(await dataOf(id), { after: true });
      });
    });

    describe("purgeExpired", () => {
      test("purgeExpired deletes expired records, keeps live ones and counts what it deleted", async () => {
        const expiredCount = 3;
        for (let index = 0; index < expiredCount; index += 1) {
          await create({ index }, { expiresAt: Date.now() - 1 });
        }
        const live = await create({ live: true });
        const deleted = await store.purgeExpired();
        assert.ok(
          Number.isInteger(deleted) && deleted >= 0,
          `count must be an integer, got ${deleted}`,
        );
        if (!options.selfExpiring) {
          assert.ok(
            deleted >= expiredCount,
            `expected at least ${expiredCount} deleted, got ${deleted}`,
          );
          // A store that only counts expired records without deleting them counts them again.
          const again = await store.purgeExpired();
          assert.ok(again < expiredCount, `a second purge found ${again} records to delete again`);
        }
        assert.deepEqual(await dataOf(live.id), { live: true });
      });
    });

    describe("close", () => {
      test("close resolves", async () => {
        closedByTest = true;
        await options.cleanup?.(store);
        await store.close();
      });
    });
  });
}
