/**
 * tessera's Redis hash layout, without a server: the script arguments a patch becomes, applied
 * to a hash as the APPLY script applies them, and the record read back from HGETALL (with
 * `@expires`, or with a PTTL reply for a record from before it), including replies no Redis
 * would send for a tessera key.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import type { SessionPatch } from "../../../src/stores/contract.ts";
import type { Reply } from "../../../src/stores/redis/connection.ts";
import {
  CREATED_FIELD,
  EXPIRES_FIELD,
  fieldOf,
  sessionKeyOf,
} from "../../../src/stores/redis/layout.ts";
import {
  appendPatchArguments,
  holdsExpiry,
  recordFromHash,
} from "../../../src/stores/redis/records.ts";
import { defineTarget, type FuzzTarget, onlyTesseraErrors } from "../target.ts";
import { expectedAfter, hostileValue, jsonValue, key, patchOf, sortedEntries } from "./records.ts";

/** Applies script arguments as patchLua does: clear flag, delete count, fields, then pairs. */
function applyArguments(hash: Map<string, string>, args: readonly string[]): void {
  if (args[0] === "1") {
    const created = hash.get(CREATED_FIELD);
    hash.clear();
    if (created !== undefined) hash.set(CREATED_FIELD, created);
  }
  const deletes = Number(args[1]);
  for (const field of args.slice(2, 2 + deletes)) hash.delete(field);
  for (let index = 2 + deletes; index + 1 < args.length; index += 2) {
    hash.set(args[index] as string, args[index + 1] as string);
  }
}

const reply: fc.Arbitrary<Reply> = fc.oneof(
  fc.constant(null),
  fc.string(),
  fc.integer(),
  fc.array(
    fc.oneof(
      fc.constantFrom(CREATED_FIELD, EXPIRES_FIELD, "@@a", "@x", "__proto__", "1"),
      fc.string(),
      fc.json(),
      fc.integer(),
      fc.constant(null),
    ),
    { maxLength: 8 },
  ),
) as fc.Arbitrary<Reply>;

export const redisHashTarget: FuzzTarget = defineTarget(
  "redis-hash",
  "any HGETALL/PTTL replies read as a record or none, never throw; field names round-trip; a patch's script arguments applied to a stored hash read back as the patched data; unstorable values throw only a TesseraError",
  () =>
    fc.property(
      fc.oneof(
        fc
          .tuple(reply, fc.oneof(fc.integer(), fc.constantFrom(-1, -2), reply))
          .map(([fields, remaining]) => ({ fields, remaining, data: undefined, patch: undefined })),
        fc
          .tuple(
            fc.dictionary(key, jsonValue, {
              maxKeys: 5,
              noNullPrototype: true,
            }),
            patchOf(fc.oneof({ weight: 5, arbitrary: jsonValue }, hostileValue)),
          )
          .map(([data, patch]) => ({ fields: undefined, remaining: undefined, data, patch })),
      ),
      (input) => {
        const now = Date.now();
        if (input.data === undefined) {
          const record = recordFromHash(input.fields, input.remaining, now, "fuzz");
          if (record !== undefined) {
            assert.ok(Number.isFinite(record.createdAt));
            // `@expires` when the hash holds it, else PTTL's -2 (gone), -1 (no TTL) or the
            // milliseconds left.
            const { remaining } = input;
            if (Array.isArray(input.fields) && holdsExpiry(input.fields)) {
              assert.ok(Number.isFinite(record.expiresAt));
            } else if (remaining === -1) assert.equal(record.expiresAt, Number.MAX_SAFE_INTEGER);
            else if (typeof remaining === "number" && remaining >= 0) {
              assert.equal(record.expiresAt, now + remaining);
            }
          }
          return;
        }
        const { data, patch } = input as { data: Record<string, unknown>; patch: SessionPatch };
        const hash = new Map<string, string>([[CREATED_FIELD, String(now)]]);
        for (const [name, value] of Object.entries(data)) {
          assert.equal(sessionKeyOf(fieldOf(name)), name);
          hash.set(fieldOf(name), JSON.stringify(value));
        }
        const args = onlyTesseraErrors(() => appendPatchArguments([], patch));
        if (args === undefined) return;
        applyArguments(hash, args);
        const record = recordFromHash([...hash].flat(), 60_000, now, "fuzz");
        assert.ok(record !== undefined, "the patched hash reads back");
        assert.equal(record.createdAt, now);
        assert.equal(record.expiresAt, now + 60_000);
        const before = JSON.parse(JSON.stringify(data)) as Record<string, unknown>;
        assert.deepStrictEqual(
          sortedEntries(Object.entries(record.data)),
          expectedAfter(before, patch),
        );
      },
    ),
);
