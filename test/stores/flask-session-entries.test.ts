/**
 * The splice of a patch into a Flask-Session record's top-level entries
 * (src/stores/flask-session/entries.ts), which PostgreSQL's flask-session layout runs between its
 * read and its compare-and-swap: records split and put back together unchanged, a patch spliced in
 * reads as the patch applied to what was read, and JSON split where its strings hold brackets,
 * quotes and escapes.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { decodeMsgpack, encodeMsgpack } from "../../src/codecs/msgpack/index.ts";
import {
  assembleRecord,
  patchEntries,
  recordEntries,
} from "../../src/stores/flask-session/entries.ts";
import { decodeRecord, encodePatch } from "../../src/stores/flask-session/record.ts";
import { setPatch } from "../support/patches.ts";

const sessions = fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 3 }), {
  maxKeys: 20,
});

describe("flask-session entries", () => {
  test("a record split into entries and put back together is the same bytes", () => {
    fc.assert(
      fc.property(sessions, (data) => {
        for (const bytes of [Buffer.from(encodeMsgpack(data)), Buffer.from(JSON.stringify(data))]) {
          const split = recordEntries(bytes);
          assert.ok(split, bytes.toString("hex"));
          assert.equal(split.entries.length, Object.keys(data).length);
          assert.deepEqual(assembleRecord(split.serializer, split.entries), bytes);
        }
      }),
      { numRuns: 300 },
    );
  });

  test("JSON with white space anywhere comes back compact, holding the same values", () => {
    fc.assert(
      fc.property(sessions, fc.constantFrom(1, 2, "\t", " \n "), (data, space) => {
        const text = ` ${JSON.stringify(data, null, space)} \n`;
        const split = recordEntries(Buffer.from(text));
        assert.ok(split);
        assert.equal(split.serializer, "json");
        // The entries' separators go; each value keeps its text as it was.
        const back = assembleRecord("json", split.entries).toString();
        assert.deepEqual(JSON.parse(back), JSON.parse(JSON.stringify(data)));
        assert.ok(back.startsWith(Object.keys(data).length > 0 ? '{"' : "{}"), back);
      }),
      { numRuns: 200 },
    );
  });

  test("strings holding brackets, quotes, backslashes and escapes split where they end", () => {
    const text = String.raw`{"a\"}":"]}\\","b":{"c":"{[\"","d":[1,"]"]},"\u00e9":-1.5e+3,"e":null}`;
    const split = recordEntries(Buffer.from(text));
    assert.deepEqual(
      split?.entries.map(({ name, key, value }) => [name, key.toString(), value.toString()]),
      [
        ['a"}', String.raw`"a\"}"`, String.raw`"]}\\"`],
        ["b", '"b"', String.raw`{"c":"{[\"","d":[1,"]"]}`],
        ["é", String.raw`"\u00e9"`, "-1.5e+3"],
        ["e", '"e"', "null"],
      ],
    );
  });

  test("a patch spliced into the entries reads as the patch applied to the record", () => {
    fc.assert(
      fc.property(
        sessions,
        sessions,
        fc.array(fc.string({ maxLength: 6 }), { maxLength: 5 }),
        fc.boolean(),
        fc.constantFrom("msgpack" as const, "json" as const),
        (stored, sets, deletes, clear, serializer) => {
          const deleted = deletes.filter((key) => !Object.hasOwn(sets, key));
          const bytes =
            serializer === "msgpack"
              ? Buffer.from(encodeMsgpack(stored))
              : Buffer.from(JSON.stringify(stored));
          const split = recordEntries(bytes);
          assert.ok(split);
          const patch = setPatch(sets, deleted, clear);
          const result = assembleRecord(
            serializer,
            patchEntries(split.entries, encodePatch(patch, serializer)),
          );
          // What was read and what the patch sets, each through the same codec as the result.
          const before = decodeRecord(bytes) ?? {};
          const setsAlone = patchEntries([], encodePatch(setPatch(sets), serializer));
          const written = decodeRecord(assembleRecord(serializer, setsAlone)) ?? {};
          const expected: Record<string, unknown> = {};
          const put = (key: string, value: unknown) =>
            Object.defineProperty(expected, key, { value, enumerable: true, writable: true });
          for (const [key, value] of Object.entries(before)) {
            if (!deleted.includes(key) && (!clear || key === "_permanent")) put(key, value);
          }
          for (const [key, value] of Object.entries(written)) put(key, value);
          assert.deepEqual(decodeRecord(result), expected);
        },
      ),
      { numRuns: 300 },
    );
  });

  test("what is not a map, or not a record tessera reads, has no entries", () => {
    for (const bytes of [
      Buffer.alloc(0),
      Buffer.from("[1]"),
      Buffer.from('{"a": 1'),
      Buffer.from('{"a": "\xff"}', "latin1"),
      Buffer.from(encodeMsgpack([1, 2])),
      Buffer.from("80c0", "hex"),
      Buffer.from("81a161", "hex"),
    ]) {
      assert.equal(recordEntries(bytes), undefined, bytes.toString("hex"));
      assert.equal(decodeRecord(bytes), undefined, bytes.toString("hex"));
    }
    assert.deepEqual(decodeMsgpack(assembleRecord("msgpack", [])), {});
  });
});
