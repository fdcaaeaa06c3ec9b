import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import type { SessionPatch, SessionStore } from "../../src/stores/contract.ts";
import { memoryStore } from "../../src/stores/memory.ts";
import { sqliteStore } from "../../src/stores/sqlite.ts";

/**
 * Random sequences of patches with awkward keys (quotes, backslashes, control characters,
 * JSON-path syntax, astral characters) and arbitrary JSON values, applied to an existing
 * session in each store, must leave exactly what a plain JavaScript model of the patch gives.
 * This pins the SQLite store's single-statement path against its transaction fallback.
 */
const key = fc
  .oneof(
    fc.constantFrom(
      "user",
      "cart",
      "a.b",
      "a[0]",
      "$",
      "*",
      'a"b',
      "a\\b",
      "\u0000x",
      "é",
      "😀",
      "__proto__",
    ),
    fc.string({ minLength: 1, unit: "binary" }),
  )
  // V8's JSON.parse (Node 24 and 26) can read a one-character escaped key such as "\n" or "\""
  // back as "\\" once a "\\" key has been parsed (nodejs/node#63785, open upstream). That bug is
  // in every JSON.parse of the process, not in the stores, so such keys are left out here.
  .filter((name) => !(name.length === 1 && JSON.stringify(name).length > 3));
const patch = fc.record({
  clear: fc.boolean(),
  set: fc.dictionary(key, fc.jsonValue(), { maxKeys: 4 }),
  remove: fc.array(key, { maxLength: 3 }),
});

function toPatch(step: {
  clear: boolean;
  set: Record<string, unknown>;
  remove: string[];
}): SessionPatch {
  const set = new Map(Object.entries(step.set));
  return { clear: step.clear, set, delete: new Set(step.remove.filter((name) => !set.has(name))) };
}

function model(data: Map<string, unknown>, step: SessionPatch): Map<string, unknown> {
  const next = new Map(step.clear ? [] : data);
  for (const name of step.delete) next.delete(name);
  for (const [name, value] of step.set) next.set(name, JSON.parse(JSON.stringify(value)));
  return next;
}

for (const [name, makeStore] of [
  ["sqlite", () => sqliteStore({ path: ":memory:", sweepInterval: false })],
  ["memory", () => memoryStore()],
] as Array<[string, () => SessionStore]>) {
  test(`${name}: patches on an existing session match the model`, async () => {
    const store = makeStore();
    try {
      let run = 0;
      await fc.assert(
        fc.asyncProperty(fc.array(patch, { minLength: 1, maxLength: 6 }), async (steps) => {
          const id = `session-${run++}`;
          const expiresAt = Date.now() + 60_000;
          const empty = { clear: false, set: new Map([["start", 1]]), delete: new Set<string>() };
          await store.apply(id, empty, { createdAt: Date.now(), expiresAt, mustExist: false });
          let expected = new Map<string, unknown>([["start", 1]]);
          for (const step of steps) {
            const change = toPatch(step);
            assert.equal(
              await store.apply(id, change, { createdAt: 0, expiresAt, mustExist: true }),
              true,
            );
            expected = model(expected, change);
          }
          const stored = await store.get(id);
          assert.ok(stored);
          assert.deepEqual(new Map(Object.entries(stored.data)), expected);
        }),
        { numRuns: 300 },
      );
    } finally {
      await store.close();
    }
  });
}
