import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import {
  MAX_COOKIE_HEADER_LENGTH,
  parseAllValues,
  parseCookieHeader,
} from "../../src/cookies/parse.ts";

/** Read through a variable, so the test looks up an own entry, not the deprecated accessor. */
const PROTO = "__proto__";

/** Headers built from the characters that matter to the grammar, so edge cases come up often. */
const headerish = fc.string({
  unit: fc.constantFrom("a", "b", "=", ";", " ", "\t", "%", "2", "F", "Z", '"', ",", "é", "\uD800"),
  maxLength: 60,
});

describe("parseCookieHeader", () => {
  test("reads pairs, trims spaces and decodes values", () => {
    assert.deepEqual(
      { ...parseCookieHeader("a=1; b = two ;c=%20x%3B; d=") },
      { a: "1", b: "two", c: " x;", d: "" },
    );
  });

  test("no header, an empty one or a non-string gives no cookies", () => {
    assert.deepEqual(Object.keys(parseCookieHeader(undefined)), []);
    assert.deepEqual(Object.keys(parseCookieHeader("")), []);
    assert.deepEqual(Object.keys(parseCookieHeader(["a=1"] as unknown as string)), []);
  });

  test("malformed input is tolerated", () => {
    assert.equal(parseCookieHeader("a=%E0%A4%A").a, "%E0%A4%A");
    assert.equal(parseCookieHeader("a=%").a, "%");
    assert.deepEqual({ ...parseCookieHeader("junk; ;;=; a=1;=x;b") }, { "": "", a: "1" });
  });

  test("never throws on any input", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: "binary" }), fc.string(), headerish), (header) => {
        const cookies = parseCookieHeader(header);
        assert.equal(Object.getPrototypeOf(cookies), null);
        for (const value of Object.values(cookies)) assert.equal(typeof value, "string");
      }),
      { numRuns: 2000 },
    );
  });

  test("a huge header is cut at the last whole cookie within the limit", () => {
    const cookie = "k=vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv";
    const many = Array.from({ length: 2000 }, (_, i) => `${cookie}${i}`).join("; ");
    assert.ok(many.length > MAX_COOKIE_HEADER_LENGTH);
    const cookies = parseCookieHeader(`${many}; last=1`);
    assert.equal(cookies.k, `${cookie.slice(2)}0`);
    assert.equal(cookies.last, undefined);
    // Names straddling the limit are dropped whole, never truncated.
    const straddling = `${"a=1; ".repeat(3276)}big=${"x".repeat(100)}`;
    assert.equal(parseCookieHeader(straddling).big, undefined);
    assert.equal(parseCookieHeader(`big=${"x".repeat(20_000)}`).big, undefined);
  });

  test("__proto__ and constructor are plain entries, and nothing is polluted", () => {
    const cookies = parseCookieHeader(
      "__proto__=evil; constructor=c; toString=t; hasOwnProperty=h",
    );
    assert.equal(Object.getPrototypeOf(cookies), null);
    assert.equal(cookies[PROTO], "evil");
    assert.equal(cookies.constructor, "c");
    assert.deepEqual(Object.keys(cookies), [
      "__proto__",
      "constructor",
      "toString",
      "hasOwnProperty",
    ]);
    assert.equal(({} as Record<string, unknown>).evil, undefined);
    assert.equal(Object.prototype.toString.call({}), "[object Object]");
    assert.equal(parseCookieHeader("a=1").constructor, undefined);
    assert.equal(parseCookieHeader("a=1")[PROTO], undefined);
  });

  test("duplicate names: the first wins", () => {
    assert.equal(parseCookieHeader("id=specific; id=general").id, "specific");
  });
});

describe("parseAllValues", () => {
  test("every value for the name, in order", () => {
    assert.deepEqual(parseAllValues("id=1; other=x; id=2;id = 3 ; idx=4; xid=5", "id"), [
      "1",
      "2",
      "3",
    ]);
    assert.deepEqual(parseAllValues("a=%20b; a=%", "a"), [" b", "%"]);
    assert.deepEqual(parseAllValues("a=1", "b"), []);
    assert.deepEqual(parseAllValues(undefined, "a"), []);
    assert.deepEqual(parseAllValues("a=1", ""), []);
  });

  test("__proto__ as a name", () => {
    assert.deepEqual(parseAllValues("__proto__=1; __proto__=2", "__proto__"), ["1", "2"]);
    assert.deepEqual(parseAllValues("a=1", "constructor"), []);
  });

  test("agrees with parseCookieHeader on the first value and never throws", () => {
    fc.assert(
      fc.property(headerish, (header) => {
        const cookies = parseCookieHeader(header);
        for (const name of Object.keys(cookies)) {
          if (name === "") continue;
          assert.equal(parseAllValues(header, name)[0], cookies[name]);
        }
        parseAllValues(header, "a");
      }),
      { numRuns: 2000 },
    );
  });

  test("respects the size cap", () => {
    const header = `${"a=1; ".repeat(4000)}a=last`;
    const values = parseAllValues(header, "a");
    assert.ok(values.length < 4000);
    assert.ok(!values.includes("last"));
  });
});
