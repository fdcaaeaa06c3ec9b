/**
 * `isPlainJson`, the test that lets Flask's tagged JSON be read with plain `JSON.parse`: it must
 * never say yes when the reviver would read the text differently, and should say yes for what
 * real sessions hold (hex tokens, `{"` typed inside a string).
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { FlaskFloat, FlaskSessionCodec } from "../../src/codecs/flask/index.ts";
import {
  dumpTaggedJson,
  isPlainJson,
  parseTagged,
  parseTaggedJson,
} from "../../src/codecs/flask/tagged-json.ts";

/** JSON whitespace, or none. */
const space = fc.constantFrom("", "", "", " ", "\n", "\t ", "\r\n");

const digits = (min: number, max: number) =>
  fc.string({ unit: fc.constantFrom(..."0123456789"), minLength: min, maxLength: max });

/** A JSON number as any writer may spell it: fractions of zeros or nines, exponents, 20 digits. */
const numberToken = fc
  .tuple(
    fc.constantFrom("", "-"),
    fc.oneof(fc.constant("0"), fc.tuple(fc.constantFrom(..."123456789"), digits(0, 20))),
    fc.option(
      fc.oneof(
        digits(1, 22),
        // Zeros; and a fraction that rounds away with 8 or more digits before the point.
        fc.constantFrom("0", "00", "999999999", "0000000001", "9999999999999999999"),
      ),
    ),
    fc.option(fc.tuple(fc.constantFrom("e", "E"), fc.constantFrom("", "+", "-"), digits(1, 3))),
  )
  .map(([sign, whole, fraction, exponent]) => {
    const int = typeof whole === "string" ? whole : whole.join("");
    const frac = fraction === null ? "" : `.${fraction}`;
    const exp = exponent === null ? "" : exponent.join("");
    return `${sign}${int}${frac}${exp}`;
  });

/** Strings full of what looks like JSON syntax, written plainly or with escapes. */
const stringToken = fc.oneof(
  fc
    .string({ unit: fc.constantFrom(...' {}[]":,\\1234567890eE.-+ tbmudi') })
    .map((text) => JSON.stringify(text)),
  fc.constantFrom(
    '" t"',
    '"\\u0020t"',
    '"\\u0020di"',
    '" di"',
    '" b"',
    '"\\"{\\" t\\""',
    '"1e5"',
    '"2d7f3a9c1e5b8d0f"',
    '"1.0"',
    '"12345678901234567890"',
    '"\\\\"',
  ),
  fc.string().map((text) => JSON.stringify(text)),
);

/** JSON text with tags (escaped or not), numbers of every spelling, and whitespace anywhere. */
const jsonText: fc.Arbitrary<string> = fc.letrec<{ value: string }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    numberToken,
    stringToken,
    fc.constantFrom("true", "false", "null"),
    fc
      .tuple(space, fc.array(fc.tuple(tie("value"), space), { maxLength: 4 }))
      .map(([lead, items]) => `[${lead}${items.map(([v, s]) => `${v}${s}`).join(",")}]`),
    fc
      .tuple(space, fc.array(fc.tuple(stringToken, space, tie("value"), space), { maxLength: 3 }))
      .map(
        ([lead, entries]) =>
          `{${lead}${entries.map(([k, s, v, t]) => `${k}${s}:${s}${v}${t}`).join(",")}}`,
      ),
  ),
})).value;

/** What the reviver reads, or the error's class when it throws. */
function exact(text: string): unknown {
  try {
    return parseTagged(text);
  } catch (error) {
    return { threw: (error as Error).constructor.name };
  }
}

describe("isPlainJson", () => {
  test("a hex token, a float or a tag spelt inside a string keeps the plain JSON.parse", () => {
    for (const text of [
      '{"csrf_token":"2d7f3a9c1e5b8d0f4a6c2e9b7d1f3a5c8e0b2d4f"}',
      '{"note":"1.0 or 1e5 or 12345678901234567"}',
      '{"html":"{\\" t\\":[1]}"}',
      '{"a":"x\\\\","b":"1e1"}',
      '{"_permanent":true,"csrf":"9E9e9E9e","n":[1.5,-2.25,1e-7,12345678901234]}',
    ]) {
      assert.equal(isPlainJson(text), true, text);
      assert.deepStrictEqual(parseTaggedJson(text), parseTagged(text), text);
    }
  });

  test("what the reviver reads differently takes the exact path", () => {
    for (const text of [
      '{"a":1.0}',
      '{"a":-0.0}',
      '{"a":1e+16}',
      '{"a":2E3}',
      '{"a":12345678901234567}',
      '{"a":[9007199254740993]}',
      '{"a":{" t":[1]}}',
      '{"a":{\n "\\u0020t":[1]}}',
      '{"x":"}", "a":{"\\u0020di":{"y__":1}}}',
      // Rounds to an integer: Flask reads 100000000.0, a float.
      '{"a":99999999.999999999}',
      '{"a":0.99999999999999999}',
    ]) {
      assert.equal(isPlainJson(text), false, text);
    }
    assert.equal(isPlainJson('{"a":9007199254740991}'), true, "2^53 − 1 is a safe integer");
  });

  test("a fraction that rounds to an integer is a float, as Flask reads it (not the plain path)", () => {
    assert.deepStrictEqual(parseTaggedJson('{"a":99999999.999999999}'), {
      a: new FlaskFloat(100_000_000),
    });
    // Read back and written again, it stays a float: Python's json.dumps writes 100000000.0.
    const codec = new FlaskSessionCodec({ secrets: "tagged-json-plain test secret, 32 bytes" });
    const opened = {
      text: '{"a":99999999.999999999}',
      plain: isPlainJson('{"a":99999999.999999999}'),
      tooDeep: false,
      timestamp: 0,
      rotated: false,
    };
    const data = codec.parse(opened);
    assert.ok(data);
    assert.equal(dumpTaggedJson(data), '{"a":100000000.0}');
  });

  test("property: when it says plain, JSON.parse reads exactly what the reviver reads", () => {
    fc.assert(
      fc.property(jsonText, (text) => {
        const expected = exact(text);
        if (isPlainJson(text)) {
          let plain: unknown;
          try {
            plain = JSON.parse(text);
          } catch (error) {
            plain = { threw: (error as Error).constructor.name };
          }
          assert.deepStrictEqual(plain, expected);
        }
        let fast: unknown;
        try {
          fast = parseTaggedJson(text);
        } catch (error) {
          fast = { threw: (error as Error).constructor.name };
        }
        assert.deepStrictEqual(fast, expected);
      }),
      { numRuns: 3_000 },
    );
  });

  test("property: text that is not JSON (cut or changed anywhere) throws on either path", () => {
    fc.assert(
      fc.property(jsonText, fc.nat(), fc.nat(), (text, at, what) => {
        const index = at % (text.length + 1);
        const changed =
          what % 2 === 0
            ? text.slice(0, index)
            : text.slice(0, index) + '"{\\}-.e1 '.charAt(what % 9) + text.slice(index);
        const expected = exact(changed);
        let fast: unknown;
        try {
          fast = parseTaggedJson(changed);
        } catch (error) {
          fast = { threw: (error as Error).constructor.name };
        }
        assert.deepStrictEqual(fast, expected);
      }),
      { numRuns: 3_000 },
    );
  });
});
