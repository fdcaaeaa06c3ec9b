import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { base64Decode, bytesToInt, intToBytes } from "../../src/codecs/flask/base64.ts";
import {
  decodeFlaskSession,
  encodeFlaskSession,
  FlaskTuple,
  type FlaskValue,
} from "../../src/codecs/flask/index.ts";
import { Signer } from "../../src/codecs/flask/signer.ts";
import { compareCodePoints, parseTaggedJson } from "../../src/codecs/flask/tagged-json.ts";
import { SessionValueError } from "../../src/errors.ts";
import { flaskData, readBack } from "./flask-arbitraries.ts";

const SECRET = "flask-codec-test-secret-0123456789abc";
const T = 1_700_000_000;
const options = { secrets: SECRET, maxAgeSeconds: 3600, now: () => T * 1000 };

describe("Flask codec", () => {
  test("itsdangerous base64 and int encoding", () => {
    assert.equal(intToBytes(0).length, 0);
    assert.deepEqual([...intToBytes(1_700_000_000)], [0x65, 0x53, 0xf1, 0x00]);
    assert.equal(bytesToInt(intToBytes(Number.MAX_SAFE_INTEGER)), Number.MAX_SAFE_INTEGER);
    assert.equal(
      bytesToInt(Buffer.from([0, 1])),
      undefined,
      "a leading zero byte is not canonical",
    );
    assert.equal(base64Decode("ZVPxAA=="), undefined, "padding");
    assert.equal(base64Decode("ZVPxAB"), undefined, "stray bits in the last character");
    assert.equal(base64Decode("ZVP+AA"), undefined, "not the URL-safe alphabet");
    assert.deepEqual(base64Decode("ZVPxAA"), Buffer.from([0x65, 0x53, 0xf1, 0x00]));
  });

  test("the Signer's key derivations (itsdangerous defaults: django-concat, SHA-1)", () => {
    // Values from itsdangerous 2.1.2: Signer("secret").sign("value") and friends.
    assert.equal(
      new Signer({ secrets: "secret" }).sign("value"),
      "value.-2b2Vg1X_KBU1C6DLNDlPUR2w6M",
    );
    for (const [keyDerivation, signed] of [
      ["hmac", "value.93_WaAEpo9vFjkMQ_T_IseSnTz4"],
      ["concat", "value.JALIqqa-rhsDJVPuNXMRPN_SvJM"],
      ["none", "value.Mwty04TfQa30QOHYrrVDq3Puy4o"],
    ] as const) {
      assert.equal(
        new Signer({ secrets: "secret", salt: "s", keyDerivation }).sign("value"),
        signed,
      );
    }
    const signer = new Signer({ secrets: ["new", "old"] });
    const old = new Signer({ secrets: "old" }).sign("value");
    assert.deepEqual(signer.unsign(old), { value: "value", rotated: true });
    assert.deepEqual(signer.unsign(signer.sign("value")), { value: "value", rotated: false });
    assert.equal(new Signer({ secrets: "new" }).unsign(old), undefined);
  });

  test("Python's key order is by code point", () => {
    const keys = ["\uffff", "😀", "é", "z", "A", ""];
    assert.deepEqual([...keys].sort(compareCodePoints), ["", "A", "z", "é", "\uffff", "😀"]);
  });

  test("unstorable values are a SessionValueError naming where they are", () => {
    const write = (data: Record<string, unknown>) =>
      encodeFlaskSession(data as Record<string, FlaskValue>, { secrets: SECRET });
    assert.throws(() => write({ a: [1, Number.NaN] }), /value\["a"\]\[1\]: NaN/);
    assert.throws(() => write({ a: Number.POSITIVE_INFINITY }), SessionValueError);
    assert.throws(() => write({ a: undefined }), SessionValueError);
    assert.throws(() => write({ a: new Map() }), /Map/);
    assert.throws(() => write({ a: new Date(Number.NaN) }), SessionValueError);
  });

  test("a tag key escaped by another JSON writer (\\u0020t) is still a tag, as Flask reads it", () => {
    assert.deepStrictEqual(parseTaggedJson('{"a":{"\\u0020t":[1,2]}}'), {
      a: new FlaskTuple([1, 2]),
    });
    assert.deepStrictEqual(parseTaggedJson('{"a":{ "\\u0020di":{"x__":1}}}'), { a: { x: 1 } });
  });

  test("bad input never throws: undefined", () => {
    for (const cookie of ["", ".", "..", "a.b.c", "e30.ZVPxAA.x", "\u0000", "😀.😀.😀"]) {
      assert.equal(decodeFlaskSession(cookie, options), undefined);
    }
  });

  test("property: data round-trips through encode and decode", () => {
    fc.assert(
      fc.property(flaskData, (data) => {
        const cookie = encodeFlaskSession(data, options);
        const decoded = decodeFlaskSession(cookie, options);
        assert.ok(decoded);
        assert.deepStrictEqual(decoded.data, readBack(data));
      }),
      { numRuns: 500 },
    );
  });

  test("property: a random single-byte change never decodes", () => {
    fc.assert(
      fc.property(flaskData, fc.nat(), fc.integer({ min: 0, max: 255 }), (data, at, byte) => {
        const cookie = encodeFlaskSession(data, options);
        const index = at % cookie.length;
        const replacement = String.fromCharCode(byte);
        fc.pre(cookie[index] !== replacement);
        const changed = cookie.slice(0, index) + replacement + cookie.slice(index + 1);
        assert.equal(decodeFlaskSession(changed, options), undefined);
      }),
      { numRuns: 1000 },
    );
  });
});
