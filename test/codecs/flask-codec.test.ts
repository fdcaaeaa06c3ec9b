import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { describe, test } from "node:test";
import fc from "fast-check";
import {
  base64Decode,
  bytesToInt,
  intToBytes,
  isCanonicalBase64Url,
} from "../../src/codecs/flask/base64.ts";
import {
  decodeFlaskSession,
  encodeFlaskSession,
  FlaskTuple,
  type FlaskValue,
} from "../../src/codecs/flask/index.ts";
import { Signer, TimestampSigner } from "../../src/codecs/flask/signer.ts";
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

  test("canonical base64url: exactly the strings that decode and encode back to themselves", () => {
    const roundTrips = (text: string) =>
      /^[A-Za-z0-9_-]*$/.test(text) &&
      Buffer.from(text, "base64url").toString("base64url") === text;
    // Every string of up to 5 characters from a set that covers each tail and stray-bit case.
    const characters = [..."AQgw_-9zBb+/=. é"];
    let checked = 0;
    const visit = (prefix: string, left: number): void => {
      for (const character of characters) {
        const text = prefix + character;
        assert.equal(isCanonicalBase64Url(text), roundTrips(text), JSON.stringify(text));
        checked++;
        if (left > 1) visit(text, left - 1);
      }
    };
    assert.equal(isCanonicalBase64Url(""), true);
    visit("", 5);
    assert.ok(checked > 1_000_000);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), fc.nat(), fc.nat(63), (bytes, at, sextet) => {
        const text = Buffer.from(bytes).toString("base64url");
        assert.equal(isCanonicalBase64Url(text), true);
        const index = at % (text.length + 1);
        const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        const changed = text.slice(0, index) + alphabet[sextet] + text.slice(index + 1);
        assert.equal(isCanonicalBase64Url(changed), roundTrips(changed));
      }),
    );
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

  test("the Signer accepts only the canonical spelling of a signature, against every key", () => {
    const signer = new Signer({ secrets: ["new", "old"], salt: "s", keyDerivation: "hmac" });
    const older = new Signer({ secrets: "old", salt: "s", keyDerivation: "hmac" });
    /** What itsdangerous accepts, spelt the long way: decode, then compare the bytes. */
    const reference = (signed: string): string | undefined => {
      const dot = signed.lastIndexOf(".");
      const given = base64Decode(signed.slice(dot + 1));
      if (dot < 0 || given === undefined) return undefined;
      const value = signed.slice(0, dot);
      for (const secret of ["new", "old"]) {
        const key = createHmac("sha1", secret).update("s").digest();
        if (createHmac("sha1", key).update(value).digest().equals(given)) return value;
      }
      return undefined;
    };
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    // Characters whose low byte is in the alphabet: as latin1 bytes they would pass for it.
    const impostors = ["\u0141", "\u0161", "\uff30", "\u0130", "=", "+", "/", ".", "é"];
    fc.assert(
      fc.property(
        fc.string({ maxLength: 40 }),
        fc.boolean(),
        fc.nat(),
        fc.constantFrom(...alphabet, ...impostors, "", "=="),
        (value, useOld, at, replacement) => {
          const signed = (useOld ? older : signer).sign(value);
          const index = signed.length - 1 - (at % 28);
          const changed = signed.slice(0, index) + replacement + signed.slice(index + 1);
          for (const candidate of [signed, changed, `${signed}=`, `${signed.slice(0, -1)}`]) {
            const unsigned = signer.unsign(candidate);
            assert.equal(unsigned?.value, reference(candidate), JSON.stringify(candidate));
          }
          assert.equal(signer.unsign(signed)?.rotated, useOld);
        },
      ),
      { numRuns: 2_000 },
    );
    // The last character of 27 carries 2 bits that must be zero: its other spellings differ.
    const signed = signer.sign("value");
    const last = signed.at(-1) as string;
    const stray = alphabet[(alphabet.indexOf(last) & ~3) + 1] as string;
    assert.equal(signer.unsign(signed.slice(0, -1) + stray), undefined);
  });

  test("a timestamp signs and reads back the same whichever was signed last", () => {
    let now = 0;
    const signer = new TimestampSigner({ secrets: "secret", now: () => now });
    const atZero = signer.sign("a", 0);
    assert.equal(atZero, `a..${atZero.split(".")[2]}`, "int_to_bytes(0) is empty");
    const later = signer.sign("b", T);
    assert.deepEqual(signer.unsign(atZero), { value: "a", timestamp: 0, rotated: false });
    assert.deepEqual(signer.unsign(later), { value: "b", timestamp: T, rotated: false });
    now = (T + 10) * 1000;
    assert.equal(signer.unsign(later, 9), undefined);
    assert.deepEqual(signer.unsign(later, 10)?.timestamp, T);
    assert.throws(() => signer.sign("c", -1), /non-negative/);
    assert.equal(signer.sign("b", T), later);
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
