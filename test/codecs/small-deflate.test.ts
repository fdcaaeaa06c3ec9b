import assert from "node:assert/strict";
import { test } from "node:test";
import { inflateSync } from "node:zlib";
import fc from "fast-check";
import { SMALL_DEFLATE_LIMIT, smallDeflate } from "../../src/codecs/flask/small-deflate.ts";
import { ArgumentError } from "../../src/errors.ts";

/** Bytes with repeats at every distance, as JSON has, or none at all. */
const payload = fc.oneof(
  fc.uint8Array({ maxLength: SMALL_DEFLATE_LIMIT }),
  fc
    .array(fc.constantFrom(...'{}[]":,_permanent user cart csrf 0123456789abc'.split("")), {
      maxLength: SMALL_DEFLATE_LIMIT,
    })
    .map((chars) => Buffer.from(chars.join(""))),
  fc
    .tuple(fc.uint8Array({ minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: 300 }))
    .map(([unit, times]) => Buffer.concat(Array(times).fill(Buffer.from(unit))).subarray(0, 1024)),
);

test("smallDeflate: zlib data that node:zlib inflates back to the input (property)", () => {
  fc.assert(
    fc.property(payload, (input) => {
      const compressed = smallDeflate(input);
      assert.deepEqual(inflateSync(compressed), Buffer.from(input));
      assert.deepEqual([...compressed.subarray(0, 2)], [0x78, 0x9c], "zlib header");
    }),
    { numRuns: 2_000 },
  );
});

test("smallDeflate: edge sizes, the longest match and the farthest distance", () => {
  for (const input of [
    Buffer.alloc(0),
    Buffer.from("a"),
    Buffer.from("ab"),
    Buffer.from("abc"),
    Buffer.alloc(SMALL_DEFLATE_LIMIT, 0x61), // runs of 258, the longest match
    Buffer.concat([Buffer.from("xyz"), Buffer.alloc(1_018, 0x20), Buffer.from("xyz")]),
    Buffer.from(Array.from({ length: SMALL_DEFLATE_LIMIT }, (_, i) => (i * 37) % 256)),
  ]) {
    assert.deepEqual(inflateSync(smallDeflate(input)), input, `${input.length} bytes`);
  }
  assert.throws(() => smallDeflate(Buffer.alloc(SMALL_DEFLATE_LIMIT + 1)), ArgumentError);
});

test("smallDeflate shrinks repetitive JSON as zlib does for a small input", () => {
  const json = Buffer.from(JSON.stringify({ cart: Array.from({ length: 20 }, (_, i) => ({ i })) }));
  assert.ok(smallDeflate(json).length < json.length / 2);
});
