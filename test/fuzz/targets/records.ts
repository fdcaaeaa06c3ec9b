/**
 * Stored records, read back without trusting them: the JSON text of the memory and SQLite
 * stores, Flask-Session's records (MessagePack or JSON) and the JSON of each field of tessera's
 * Redis hash. A record anyone could have written reads as a session or as none, never as an
 * exception; a patch written and read back gives the data the patch describes.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { decodeMsgpack } from "../../../src/codecs/msgpack/index.ts";
import type { SessionData, SessionPatch } from "../../../src/stores/contract.ts";
import {
  decodeFlaskJson,
  encodeFlaskJson,
  jsonObjectEntries,
} from "../../../src/stores/flask-session/json.ts";
import {
  decodeRecord,
  encodePatch,
  type FlaskSerializer,
} from "../../../src/stores/flask-session/record.ts";
import {
  parseStoredData,
  serializePatchedData,
  serializeSessionValue,
} from "../../../src/stores/json-records.ts";
import { defineTarget, type FuzzTarget, onlyTesseraErrors } from "../target.ts";
import { clearOfV8KeyBug, isSafeKey } from "../v8-json.ts";
import { msgpackValue } from "./msgpack.ts";

export const key = fc
  .oneof(
    fc.string({ maxLength: 8 }),
    fc.constantFrom("__proto__", "constructor", "@created", "@@x", "_permanent", "1", ""),
  )
  .filter(isSafeKey);

/** JSON values that read back right whatever the process parsed before (see v8-json.ts). */
export const jsonValue = fc.jsonValue({ maxDepth: 3 }).filter(clearOfV8KeyBug);

/** Values JSON cannot hold, or only by dropping them: what an application might still pass. */
export const hostileValue = fc.oneof(
  fc.bigInt(),
  fc.constant(undefined),
  fc.constant(() => 1),
  fc.constant(Symbol("s")),
  fc.constant(Number.NaN),
  fc.constant(
    (() => {
      const cycle: Record<string, unknown> = {};
      cycle.self = cycle;
      return cycle;
    })(),
  ),
);

export const patchOf = (value: fc.Arbitrary<unknown>): fc.Arbitrary<SessionPatch> =>
  fc
    .record({
      clear: fc.boolean(),
      set: fc.array(fc.tuple(key, value), { maxLength: 5 }),
      delete: fc.array(key, { maxLength: 3 }),
    })
    .map((patch) => ({
      clear: patch.clear,
      set: new Map(patch.set),
      delete: new Set(patch.delete),
    }));

/** A JSON value as JSON gives it back (-0 becomes 0), or undefined for a dropped one. */
function throughJson(value: unknown): unknown {
  const text = JSON.stringify(value);
  return text === undefined ? undefined : JSON.parse(text);
}

/** What applying `patch` to `stored` must leave, as JSON keeps it: entries, sorted by key. */
export function expectedAfter(stored: SessionData, patch: SessionPatch): [string, unknown][] {
  const data = new Map(patch.clear ? [] : Object.entries(stored));
  for (const name of patch.delete) data.delete(name);
  for (const [name, value] of patch.set) data.set(name, value);
  return sortedEntries(
    [...data].flatMap(([name, value]) => {
      const kept = throughJson(value);
      return kept === undefined ? [] : [[name, kept] as [string, unknown]];
    }),
  );
}

export function sortedEntries(entries: Iterable<[string, unknown]>): [string, unknown][] {
  return [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

const storedText = fc.oneof(
  fc.string({ unit: "binary" }),
  fc.json(),
  fc.jsonValue().map((value) => JSON.stringify({ a: value })),
  fc.anything(),
);

export const jsonRecordsTarget: FuzzTarget = defineTarget(
  "json-records",
  "memory/SQLite records: any stored value reads as an object or as no session, never throws; a patch applied and read back gives the patched data; values JSON cannot hold throw only a TesseraError",
  () =>
    fc.property(
      fc.oneof(
        storedText.map((stored) => ({ stored, data: undefined, patch: undefined })),
        fc
          .tuple(
            fc.dictionary(key, jsonValue, {
              maxKeys: 5,
              noNullPrototype: true,
            }),
            patchOf(fc.oneof({ weight: 5, arbitrary: jsonValue }, hostileValue)),
          )
          .map(([data, patch]) => ({ stored: undefined, data, patch })),
      ),
      ({ stored, data, patch }) => {
        if (data === undefined || patch === undefined) {
          const read = parseStoredData(stored);
          if (read !== undefined) {
            assert.ok(typeof read === "object" && read !== null && !Array.isArray(read));
          }
          return;
        }
        const before = parseStoredData(JSON.stringify(data)) ?? {};
        const text = onlyTesseraErrors(() => serializePatchedData(before, patch));
        for (const [name, value] of patch.set) {
          const field = onlyTesseraErrors(() => serializeSessionValue(name, value));
          if (field !== undefined) assert.deepStrictEqual(JSON.parse(field), throughJson(value));
        }
        if (text === undefined) return;
        const after = parseStoredData(text);
        assert.ok(after !== undefined);
        assert.deepStrictEqual(sortedEntries(Object.entries(after)), expectedAfter(before, patch));
      },
    ),
);

/** JSON object texts as other programs write them: any spacing, repeated keys, mutations. */
const objectText = fc.oneof(
  fc
    .tuple(
      fc.array(fc.tuple(key, jsonValue), { maxLength: 5 }),
      fc.constantFrom("", " ", "\n", "\t "),
    )
    .map(
      ([entries, space]) =>
        `${space}{${space}${entries
          .map(
            ([name, value]) =>
              `${JSON.stringify(name)}${space}:${space}${JSON.stringify(value, null, space)}`,
          )
          .join(`${space},${space}`)}${space}}${space}`,
    ),
  fc.string({ unit: fc.constantFrom(...'{}[]",:\\ 01e-.tnul"ab'), maxLength: 30 }),
  fc.string({ unit: "binary" }),
);

export const flaskSessionJsonTarget: FuzzTarget = defineTarget(
  "flask-session-json",
  "Flask-Session's JSON: values round-trip through encodeFlaskJson/decodeFlaskJson; unstorable values throw only a TesseraError; the entry scanner never throws and agrees with the parser on every object text",
  () =>
    fc.property(
      fc.oneof(
        objectText.map((text) => ({ text, value: undefined })),
        fc
          .oneof(
            { weight: 5, arbitrary: jsonValue },
            hostileValue,
            msgpackValue.filter(clearOfV8KeyBug),
          )
          .map((value) => ({ text: undefined, value })),
      ),
      ({ text, value }) => {
        if (text === undefined) {
          const encoded = onlyTesseraErrors(() => encodeFlaskJson(value));
          if (encoded === undefined) return;
          const decoded = decodeFlaskJson(encoded);
          // Plain JSON values (no bytes, dates or extensions) come back as they were.
          if (isPlainJson(value)) assert.deepStrictEqual(decoded, throughJson(value));
          return;
        }
        const entries = jsonObjectEntries(text);
        let parsed: unknown;
        try {
          parsed = decodeFlaskJson(text);
        } catch {
          assert.equal(entries, undefined, "text that does not parse has no entries");
          return;
        }
        const isObject = parsed !== null && typeof parsed === "object" && !Array.isArray(parsed);
        assert.equal(entries !== undefined, isObject);
        if (entries === undefined) return;
        const last = new Map<string, unknown>();
        for (const entry of entries) {
          assert.equal(JSON.parse(entry.key), entry.name);
          last.set(entry.name, decodeFlaskJson(entry.value));
        }
        assert.deepStrictEqual(
          sortedEntries(last),
          sortedEntries(Object.entries(parsed as object)),
        );
      },
    ),
);

/** Whether `value` is made only of what JSON itself holds (and integers within int64/uint64). */
function isPlainJson(value: unknown): boolean {
  if (value === null || typeof value === "string" || typeof value === "boolean") return true;
  if (typeof value === "number") return Number.isSafeInteger(value) && !Object.is(value, -0);
  if (Array.isArray(value)) return value.every(isPlainJson);
  if (typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.values(value).every(isPlainJson);
  }
  return false;
}

/** A record as Flask-Session stores it: the encoded entries inside one map or object. */
function recordOf(patch: ReturnType<typeof encodePatch>, serializer: FlaskSerializer): Uint8Array {
  // One entry per name, the last one set winning, as a dict keeps it.
  const byName = new Map(patch.sets.map((entry) => [entry.name, entry]));
  const entries = [...byName.values()];
  if (serializer === "json") {
    const text = entries
      .map((entry) => `${Buffer.from(entry.key).toString()}:${Buffer.from(entry.value).toString()}`)
      .join(",");
    return Buffer.from(`{${text}}`);
  }
  const head =
    entries.length < 16
      ? [0x80 | entries.length]
      : [0xde, entries.length >> 8, entries.length & 0xff];
  return Buffer.concat([
    Uint8Array.from(head),
    ...entries.flatMap((entry) => [entry.key, entry.value]),
  ]);
}

export const flaskSessionRecordTarget: FuzzTarget = defineTarget(
  "flask-session-record",
  "Flask-Session's records: any bytes read as a session dict or none, never throw; a patch's encoded entries, stored as a record, read back to its values in both serializations",
  () =>
    fc.property(
      fc.oneof(
        fc
          .oneof(
            fc.uint8Array({ maxLength: 64 }),
            objectText.map((text) => Buffer.from(text)),
            fc.jsonValue().map((value) => Buffer.from(JSON.stringify(value))),
          )
          .map((bytes) => ({ bytes, patch: undefined, serializer: "json" as const })),
        fc
          .tuple(
            patchOf(
              fc.oneof(
                { weight: 5, arbitrary: msgpackValue.filter(clearOfV8KeyBug) },
                hostileValue,
              ),
            ),
            fc.constantFrom("msgpack" as const, "json" as const),
          )
          .map(([patch, serializer]) => ({ bytes: undefined, patch, serializer })),
      ),
      ({ bytes, patch, serializer }) => {
        if (patch === undefined) {
          const read = decodeRecord(bytes);
          if (read !== undefined) assert.equal(Object.getPrototypeOf(read), Object.prototype);
          return;
        }
        const encoded = onlyTesseraErrors(() => encodePatch(patch, serializer));
        if (encoded === undefined) return;
        const record = recordOf(encoded, serializer);
        const read = decodeRecord(record);
        if (encoded.sets.length === 0) {
          // An empty JSON object or MessagePack map is still a dict, the empty session.
          assert.deepEqual(read, {});
          return;
        }
        assert.ok(read !== undefined, "the record reads back");
        const expected = new Map<string, unknown>();
        for (const entry of encoded.sets) {
          expected.set(
            entry.name,
            serializer === "json"
              ? decodeFlaskJson(Buffer.from(entry.value).toString())
              : decodeMsgpack(entry.value),
          );
        }
        assert.deepStrictEqual(sortedEntries(Object.entries(read)), sortedEntries(expected));
      },
    ),
);
