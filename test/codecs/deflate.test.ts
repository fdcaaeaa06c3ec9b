import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { inflateSync } from "node:zlib";
import fc from "fast-check";
import { zlibDeflate, zlibDeflateIfShorter } from "../../src/codecs/flask/deflate.ts";
import {
  dumpTaggedJson,
  FlaskTuple,
  FlaskUUID,
  type FlaskValue,
  Markup,
} from "../../src/codecs/flask/tagged-json.ts";
import { PythonOracle } from "../support/python-oracle.ts";

const SCRIPT = new URL("./deflate_oracle.py", import.meta.url).pathname;

let oracle: PythonOracle;
before(() => {
  oracle = new PythonOracle(SCRIPT, "Debian's python3 (its zlib module)");
});
after(() => oracle.close());

/** Python's `zlib.compress` of every input, in one request. */
async function pythonCompress(inputs: readonly Uint8Array[]): Promise<Buffer[]> {
  const answer = await oracle.request<{ outputs: string[]; zlib: string }>({
    inputs: inputs.map((input) => Buffer.from(input).toString("base64")),
  });
  assert.equal(answer.zlib, "1.2.13", "the oracle's zlib is the one these bytes were checked for");
  return answer.outputs.map((output) => Buffer.from(output, "base64"));
}

/**
 * Every input compresses to Python's bytes and inflates back; a failure names the shortest
 * failing input (and `label`, which says how to regenerate it).
 */
async function assertSameAsPython(inputs: readonly Uint8Array[], label: string): Promise<void> {
  const expected = await pythonCompress(inputs);
  const failures: Array<{ input: Uint8Array; ours: Buffer; python: Buffer }> = [];
  inputs.forEach((input, index) => {
    const ours = zlibDeflate(input);
    const python = expected[index] as Buffer;
    assert.deepEqual(inflateSync(ours), Buffer.from(input), `${label}: round trip #${index}`);
    if (!ours.equals(python)) failures.push({ input, ours, python });
  });
  if (failures.length === 0) return;
  failures.sort((a, b) => a.input.length - b.input.length);
  const first = failures[0] as (typeof failures)[number];
  const shown = Buffer.from(first.input.subarray(0, 2_000)).toString("base64");
  assert.fail(
    `${label}: ${failures.length} of ${inputs.length} differ from Python's zlib.compress; the ` +
      `shortest (${first.input.length} bytes → ${first.ours.length}, Python ${first.python.length})` +
      ` starts (base64) ${shown}`,
  );
}

/** A small deterministic generator, so large fixed inputs need no fixtures. */
function randomBytes(length: number, seed: number): Buffer {
  const bytes = Buffer.alloc(length);
  let state = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    bytes[i] = state >>> 24;
  }
  return bytes;
}

/** A JSON session of about `length` bytes: records with repeated keys, as carts and flashes. */
function recordsJson(length: number, seed: number): Buffer {
  const random = randomBytes(length, seed);
  const items: unknown[] = [];
  let size = 0;
  for (let i = 0; size < length; i++) {
    const r = random[i % length] as number;
    const item = {
      sku: `SKU-${1000 + ((i * 37 + r) % 9000)}`,
      qty: (r % 7) + 1,
      name: ["Widget", "Gadget", "Doohickey", "Ünïcødé ☃", "日本語"][r % 5],
      note: random.subarray(i % length, (i % length) + (r % 12)).toString("hex"),
    };
    items.push(item);
    size += JSON.stringify(item).length + 1;
  }
  return Buffer.from(JSON.stringify({ _permanent: true, cart: items }).slice(0, length));
}

const key = fc.constantFrom("_permanent", "user_id", "csrf_token", "_flashes", "cart", "id", "é");
const text = fc.oneof(fc.string({ unit: "grapheme", maxLength: 30 }), fc.string({ maxLength: 30 }));
const record = fc.dictionary(key, fc.oneof(text, fc.integer(), fc.boolean(), fc.double()), {
  maxKeys: 6,
});

/**
 * Session data as Flask's tagged JSON writes it (bytes, dates, tuples, UUIDs, Markup tagged).
 * Smaller than flask-arbitraries.ts's, which takes seconds to import on a busy machine.
 */
const flaskValue: fc.Arbitrary<FlaskValue> = fc.letrec<{ value: FlaskValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    fc.constant(null),
    fc.boolean(),
    text,
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.array(tie("value"), { maxLength: 5 }),
    fc.array(tie("value"), { maxLength: 3 }).map((items) => new FlaskTuple(items)),
    fc.dictionary(fc.oneof(key, text), tie("value"), { maxKeys: 5 }),
    fc.uint8Array({ maxLength: 24 }).map((bytes) => Buffer.from(bytes)),
    fc.integer({ min: 0, max: 4_102_444_800 }).map((seconds) => new Date(seconds * 1000)),
    fc.uuid().map((uuid) => new FlaskUUID(uuid)),
    text.map((html) => new Markup(html)),
  ),
})).value;
const flaskData = fc.dictionary(fc.oneof(key, text), flaskValue, { maxKeys: 8 });

/** Byte strings shaped like Flask session payloads, and some that are not. */
const payload: fc.Arbitrary<Uint8Array> = fc.oneof(
  // What Flask's tagged JSON makes of session data.
  flaskData.map((data) => Buffer.from(dumpTaggedJson(data))),
  // Arrays of records: the same keys again and again, at many distances.
  {
    weight: 3,
    arbitrary: fc
      .tuple(fc.array(record, { maxLength: 60 }), fc.dictionary(key, text))
      .map(([items, top]) => Buffer.from(JSON.stringify({ ...top, items }))),
  },
  fc.json({ maxDepth: 4 }).map((json) => Buffer.from(json)),
  // Few symbols: long matches, chains cut short, lazy matches replaced.
  fc
    .array(fc.constantFrom(...'{}[]":,_ permanentusercart0123456789abc'.split("")), {
      maxLength: 4_000,
    })
    .map((chars) => Buffer.from(chars.join(""))),
  // A repeated unit: runs up to 258 bytes, distances of one unit.
  fc
    .tuple(fc.uint8Array({ minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: 400 }))
    .map(([unit, times]) => Buffer.concat(Array(times).fill(Buffer.from(unit)))),
  fc.uint8Array({ maxLength: 600 }),
);

test("zlibDeflate equals Python's zlib.compress on generated payloads (batched)", async () => {
  const seed = Date.now() ^ (Math.random() * 0x1_0000_0000);
  const inputs = fc.sample(payload, { numRuns: 5_000, seed });
  await assertSameAsPython(inputs, `fc.sample(payload, { numRuns: 5000, seed: ${seed} })`);
});

test("zlibDeflate equals Python's zlib.compress on edge cases", async () => {
  const cases: Array<[string, Uint8Array]> = [
    ["empty", Buffer.alloc(0)],
    ["1 byte", Buffer.from("a")],
    ["2 bytes", Buffer.from("ab")],
    ["3 bytes", Buffer.from("abc")],
    ["3 bytes twice", Buffer.from("abcabc")],
    ["a zero byte", Buffer.alloc(1)],
  ];
  for (const length of [4, 257, 258, 259, 260, 261, 262, 263, 517, 1_000, 70_000]) {
    cases.push([`${length} × "a"`, Buffer.alloc(length, 0x61)]);
  }
  cases.push(["abab… 100 KB", Buffer.from("ab".repeat(50_000))]);
  // Random bytes: stored blocks, a few short matches, the TOO_FAR rule.
  for (const length of [1, 5, 100, 1_000, 5_000, 40_000, 65_536, 100_000]) {
    cases.push([`${length} random bytes`, randomBytes(length, length)]);
  }
  // A block ends at its 16383rd symbol: random bytes are nearly all literals.
  for (const length of [16_381, 16_382, 16_383, 16_384, 16_385, 32_766, 32_767, 32_768]) {
    cases.push([`${length} random bytes, block split`, randomBytes(length, 7 + length)]);
  }
  // JSON around the sizes where zlib's window refills and slides (64 KiB − 262 and up).
  for (const length of [300, 2_000, 4_096, 32_768, 65_274, 65_275, 65_535, 65_536, 65_537]) {
    cases.push([`${length} bytes of JSON`, recordsJson(length, length)]);
  }
  cases.push(["200 KB of JSON", recordsJson(200_000, 3)]);
  // A 200-byte string again after `distance` bytes: the farthest zlib looks is 32506.
  for (const distance of [4_096, 4_097, 32_000, 32_505, 32_506, 32_507, 32_768, 32_769]) {
    const start = randomBytes(200, distance);
    const filler = randomBytes(distance - 200, distance + 1);
    cases.push([`a match at distance ${distance}`, Buffer.concat([start, filler, start])]);
    // "xyz" twice in letters a–w, compressible enough not to be stored (a stored block would
    // hide the choice), and not at position 0, which zlib's hash chains treat as empty.
    const letters = Buffer.from(
      Uint8Array.from(randomBytes(distance - 3, distance + 2), (byte) => 97 + (byte % 23)),
    );
    const three = Buffer.concat([
      Buffer.from("ab"),
      Buffer.from("xyz"),
      letters,
      Buffer.from("xyz!"),
      letters.subarray(0, 100),
    ]);
    cases.push([`a 3-byte match at distance ${distance}`, three]);
  }
  // The nearer candidate matches exactly 128 bytes (nice_length): zlib stops there and never
  // reaches the farther, longer one.
  const long = randomBytes(300, 128);
  cases.push([
    "a 128-byte match before a longer one",
    Buffer.concat([
      randomBytes(10, 1),
      long,
      randomBytes(100, 2),
      long.subarray(0, 128),
      Buffer.from("#"),
      randomBytes(100, 3),
      long,
    ]),
  ]);
  // Compressible text whose blocks of 16383 symbols span more than the window.
  const words = ["session", "user", "cart", "id", "token", "flash", ":", ",", '"', "{", "}"];
  const wordy = randomBytes(300_000, 11);
  cases.push([
    "300 KB of words",
    Buffer.from(Array.from(wordy, (r) => words[r % words.length]).join("")),
  ]);

  const expected = await pythonCompress(cases.map(([, input]) => input));
  cases.forEach(([label, input], index) => {
    const ours = zlibDeflate(input);
    assert.deepEqual(inflateSync(ours), Buffer.from(input), `${label}: round trip`);
    assert.ok(ours.equals(expected[index] as Buffer), `${label}: differs from Python's zlib`);
  });
});

test("zlibDeflate keeps no state from one call to the next", async () => {
  const a = recordsJson(3_000, 1);
  const b = recordsJson(3_000, 2);
  const first = zlibDeflate(a);
  zlibDeflate(b);
  zlibDeflate(randomBytes(100_000, 5));
  assert.ok(zlibDeflate(a).equals(first));
  // A view into a larger buffer: only its own bytes count.
  const whole = Buffer.concat([b, a, b]);
  const view = new Uint8Array(whole.buffer, whole.byteOffset + b.length, a.length);
  assert.ok(zlibDeflate(view).equals(first));
  await assertSameAsPython([a, view], "a view");
});

test("zlibDeflateIfShorter is Python's zlib.compress when at most maxLength bytes, else nothing", async () => {
  const seed = Date.now() ^ (Math.random() * 0x1_0000_0000);
  const inputs: Uint8Array[] = fc.sample(payload, { numRuns: 2_000, seed });
  // Sessions the size of a cookie, where compression only just pays or only just does not.
  for (let index = 0; index < 300; index++) {
    const token = randomBytes(12 + (index % 40), index + 1).toString(
      index % 2 ? "hex" : "base64url",
    );
    inputs.push(
      Buffer.from(
        `{"_permanent":true,"cart":[1,2,3],"csrf":"${token}","n":${index * 7919},"username":"alice"}`,
      ),
    );
  }
  // Several blocks: the stream is given up as soon as it is too long.
  inputs.push(randomBytes(40_000, 9), recordsJson(70_000, 4), Buffer.alloc(0));
  const expected = await pythonCompress(inputs);
  const label = `fc.sample(payload, { numRuns: 2000, seed: ${seed} }) and sessions`;
  inputs.forEach((input, index) => {
    const python = expected[index] as Buffer;
    // What Flask keeps, and the limits on either side of Python's own length.
    for (const maxLength of [
      input.length - 2,
      python.length - 1,
      python.length,
      python.length + 1,
      0,
    ]) {
      const ours = zlibDeflateIfShorter(input, maxLength);
      if (python.length <= maxLength) {
        assert.ok(ours?.equals(python), `${label} #${index}: max ${maxLength}, not Python's bytes`);
      } else {
        assert.equal(ours, undefined, `${label} #${index}: max ${maxLength}, longer returned`);
      }
    }
  });
  // Giving up leaves nothing behind for the next call.
  const a = recordsJson(3_000, 1);
  zlibDeflateIfShorter(recordsJson(70_000, 4), 100);
  assert.ok(zlibDeflate(a).equals((await pythonCompress([a]))[0] as Buffer));
});
