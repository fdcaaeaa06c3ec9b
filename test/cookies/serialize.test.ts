import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { parseCookieHeader } from "../../src/cookies/parse.ts";
import { serializeDeletion, serializeSetCookie } from "../../src/cookies/serialize.ts";
import { MAX_SET_COOKIE_BYTES } from "../../src/cookies/size.ts";
import { CookieError } from "../../src/errors.ts";

const NOW = Date.UTC(2025, 0, 1, 12, 0, 0);

/** Asserts that `run` throws a CookieError whose message contains every one of `fragments`. */
function throwsCookieError(run: () => unknown, ...fragments: string[]): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof CookieError, `expected a CookieError, got ${String(error)}`);
    assert.equal(error.code, "TESSERA_COOKIE");
    for (const fragment of fragments) {
      assert.ok(
        error.message.includes(fragment),
        `${JSON.stringify(fragment)} not in: ${error.message}`,
      );
    }
    return true;
  });
}

describe("serializeSetCookie: attributes", () => {
  test("defaults: Path=/, HttpOnly, SameSite=Lax, Secure only on HTTPS", () => {
    assert.equal(
      serializeSetCookie("user", "ada", {}, true),
      "user=ada; Path=/; HttpOnly; Secure; SameSite=Lax",
    );
    assert.equal(
      serializeSetCookie("user", "ada", {}, false),
      "user=ada; Path=/; HttpOnly; SameSite=Lax",
    );
  });

  test("every attribute, exactly", (t) => {
    t.mock.timers.enable({ apis: ["Date"], now: NOW });
    assert.equal(
      serializeSetCookie(
        "pref",
        "dark",
        {
          maxAge: 60,
          path: "/app",
          domain: "example.com",
          secure: true,
          httpOnly: false,
          sameSite: "none",
          partitioned: true,
          priority: "high",
        },
        false,
      ),
      "pref=dark; Max-Age=60; Domain=example.com; Path=/app; Expires=Wed, 01 Jan 2025 12:01:00 GMT; Secure; Partitioned; Priority=High; SameSite=None",
    );
  });

  test("each SameSite and Priority value", () => {
    const cases = [
      [{ sameSite: "strict" }, "a=1; Path=/; HttpOnly; Secure; SameSite=Strict"],
      [{ sameSite: "lax" }, "a=1; Path=/; HttpOnly; Secure; SameSite=Lax"],
      [{ sameSite: "none" }, "a=1; Path=/; HttpOnly; Secure; SameSite=None"],
      [{ priority: "low" }, "a=1; Path=/; HttpOnly; Secure; Priority=Low; SameSite=Lax"],
      [{ priority: "medium" }, "a=1; Path=/; HttpOnly; Secure; Priority=Medium; SameSite=Lax"],
      [{ httpOnly: false, secure: false }, "a=1; Path=/; SameSite=Lax"],
    ] as const;
    for (const [options, expected] of cases) {
      assert.equal(serializeSetCookie("a", "1", options, true), expected);
    }
  });

  test('maxAge "7d" gives Max-Age and a matching Expires', (t) => {
    t.mock.timers.enable({ apis: ["Date"], now: NOW });
    assert.equal(
      serializeSetCookie("a", "1", { maxAge: "7d" }, true),
      "a=1; Max-Age=604800; Path=/; Expires=Wed, 08 Jan 2025 12:00:00 GMT; HttpOnly; Secure; SameSite=Lax",
    );
  });

  test("maxAge 3600 (seconds) gives Max-Age and a matching Expires", (t) => {
    t.mock.timers.enable({ apis: ["Date"], now: NOW });
    assert.equal(
      serializeSetCookie("a", "1", { maxAge: 3600 }, true),
      "a=1; Max-Age=3600; Path=/; Expires=Wed, 01 Jan 2025 13:00:00 GMT; HttpOnly; Secure; SameSite=Lax",
    );
  });

  test("maxAge 0 expires the cookie at once", (t) => {
    t.mock.timers.enable({ apis: ["Date"], now: NOW });
    assert.equal(
      serializeSetCookie("a", "1", { maxAge: 0 }, true),
      "a=1; Max-Age=0; Path=/; Expires=Wed, 01 Jan 2025 12:00:00 GMT; HttpOnly; Secure; SameSite=Lax",
    );
  });

  test("expires alone gives Expires only", () => {
    assert.equal(
      serializeSetCookie("a", "1", { expires: new Date(Date.UTC(2030, 5, 15, 8, 30)) }, true),
      "a=1; Path=/; Expires=Sat, 15 Jun 2030 08:30:00 GMT; HttpOnly; Secure; SameSite=Lax",
    );
  });

  test("values are encoded by cookie's default encoder", () => {
    assert.equal(
      serializeSetCookie("a", "b c;d=é", { httpOnly: false }, false),
      "a=b%20c%3Bd%3D%C3%A9; Path=/; SameSite=Lax",
    );
    assert.equal(
      serializeSetCookie("a", "", { httpOnly: false }, false),
      "a=; Path=/; SameSite=Lax",
    );
  });
});

describe("serializeDeletion", () => {
  test("exact form: empty value, Max-Age=0, Expires at the epoch, default Path=/", () => {
    assert.equal(
      serializeDeletion("user", {}, true),
      "user=; Max-Age=0; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; Secure; SameSite=Lax",
    );
    assert.equal(
      serializeDeletion("user", {}, false),
      "user=; Max-Age=0; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax",
    );
  });

  test("keeps the Path and Domain the cookie was set with", () => {
    assert.equal(
      serializeDeletion("user", { path: "/admin", domain: "example.com" }, true),
      "user=; Max-Age=0; Domain=example.com; Path=/admin; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; Secure; SameSite=Lax",
    );
  });

  test("a partitioned, SameSite=None cookie is deleted with the attributes browsers require", () => {
    assert.equal(
      serializeDeletion("__Host-w", { partitioned: true, sameSite: "none" }, true),
      "__Host-w=; Max-Age=0; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; Secure; Partitioned; SameSite=None",
    );
  });

  test("the prefix rules apply to deletions too", () => {
    throwsCookieError(
      () => serializeDeletion("__Host-id", { path: "/x" }, true),
      "__Host-",
      '"/x"',
    );
  });
});

describe("serializeSetCookie: rules", () => {
  test("__Host- needs Secure, Path=/ and no Domain", () => {
    assert.equal(
      serializeSetCookie("__Host-id", "1", {}, true),
      "__Host-id=1; Path=/; HttpOnly; Secure; SameSite=Lax",
    );
    throwsCookieError(
      () => serializeSetCookie("__Host-id", "1", {}, false),
      '"__Host-id"',
      "not Secure",
      "request did not come over HTTPS",
      "secure: true",
    );
    throwsCookieError(
      () => serializeSetCookie("__Host-id", "1", { secure: false }, true),
      "secure: false was passed",
    );
    throwsCookieError(
      () => serializeSetCookie("__Host-id", "1", { path: "/app" }, true),
      'Path is "/app"',
      'path: "/"',
    );
    throwsCookieError(
      () => serializeSetCookie("__Host-id", "1", { domain: "example.com" }, true),
      'Domain="example.com"',
      "no domain",
    );
  });

  test("prefixes match case-insensitively", () => {
    throwsCookieError(
      () => serializeSetCookie("__host-id", "1", { path: "/app" }, true),
      "__Host-",
    );
    throwsCookieError(() => serializeSetCookie("__SECURE-id", "1", {}, false), "__Secure-");
  });

  test("__Secure- needs Secure", () => {
    assert.equal(
      serializeSetCookie("__Secure-id", "1", { path: "/app", domain: "example.com" }, true),
      "__Secure-id=1; Domain=example.com; Path=/app; HttpOnly; Secure; SameSite=Lax",
    );
    throwsCookieError(
      () => serializeSetCookie("__Secure-id", "1", {}, false),
      '"__Secure-id"',
      "__Secure- prefix",
      "not Secure",
    );
  });

  test("SameSite=None needs Secure", () => {
    assert.match(
      serializeSetCookie("a", "1", { sameSite: "none" }, true),
      /Secure; SameSite=None$/,
    );
    assert.match(
      serializeSetCookie("a", "1", { sameSite: "none", secure: true }, false),
      /Secure; SameSite=None$/,
    );
    throwsCookieError(
      () => serializeSetCookie("a", "1", { sameSite: "none" }, false),
      '"a"',
      "SameSite=None",
      "not Secure",
      "secure: true",
    );
  });

  test("Partitioned needs Secure", () => {
    assert.match(serializeSetCookie("a", "1", { partitioned: true }, true), /Secure; Partitioned;/);
    throwsCookieError(
      () => serializeSetCookie("a", "1", { partitioned: true, secure: false }, true),
      '"a"',
      "Partitioned",
      "not Secure",
    );
  });

  test("invalid and empty names", () => {
    throwsCookieError(() => serializeSetCookie("", "1", {}, true), "cannot be empty");
    for (const name of [
      "a b",
      "a=b",
      "a;b",
      "a,b",
      "a\nb",
      "a\u0000",
      "(a)",
      "a/b",
      'a"b',
      "é",
      "a@b",
    ]) {
      throwsCookieError(
        () => serializeSetCookie(name, "1", {}, true),
        JSON.stringify(name),
        "token",
      );
    }
    throwsCookieError(() => serializeSetCookie("a b", "1", {}, true), '"a_b"');
    for (const name of ["a", "A-b_c.d", "!#$%&'*+-.^_`|~", "x9"]) {
      assert.ok(serializeSetCookie(name, "1", {}, true).startsWith(`${name}=1;`));
    }
  });

  test("path and domain with forbidden characters", () => {
    for (const path of ["/a;b", "/a,b", "/a\nb", "/a\rb", "/a\u0000", "/a\u007f", "/é", "/<"]) {
      throwsCookieError(
        () => serializeSetCookie("a", "1", { path }, true),
        JSON.stringify(path),
        '"a"',
      );
    }
    throwsCookieError(() => serializeSetCookie("a", "1", { path: "/a;b" }, true), "%3B");
    throwsCookieError(() => serializeSetCookie("a", "1", { path: "app" }, true), 'start with "/"');
    for (const domain of [
      "example.com;x",
      "a,b.com",
      "a\r\n.com",
      "exa mple.com",
      "https://a.com",
      "a.com:80",
    ]) {
      throwsCookieError(
        () => serializeSetCookie("a", "1", { domain }, true),
        JSON.stringify(domain),
      );
    }
    throwsCookieError(
      () => serializeSetCookie("a", "1", { domain: "bücher.de" }, true),
      "domainToASCII",
    );
    throwsCookieError(
      () => serializeSetCookie("a", "1", { domain: "example.com." }, true),
      "host name",
    );
    throwsCookieError(() => serializeSetCookie("a", "1", { domain: "" }, true), "empty");
    assert.match(
      serializeSetCookie("a", "1", { domain: ".example.com" }, true),
      /Domain=\.example\.com/,
    );
  });

  test("path over 1024 bytes", () => {
    throwsCookieError(
      () => serializeSetCookie("a", "1", { path: `/${"p".repeat(1024)}` }, true),
      "1025 bytes",
      "1024",
    );
  });

  test("invalid Date for expires", () => {
    throwsCookieError(
      () => serializeSetCookie("a", "1", { expires: new Date("nope") }, true),
      '"a"',
      "Invalid Date",
    );
    throwsCookieError(
      () => serializeSetCookie("a", "1", { expires: new Date(Date.UTC(10000, 0, 1)) }, true),
      "9999",
    );
    throwsCookieError(
      () => serializeSetCookie("a", "1", { expires: new Date(Date.UTC(1600, 11, 31)) }, true),
      "1601",
    );
    assert.match(
      serializeSetCookie("a", "1", { expires: new Date(Date.UTC(1601, 0, 1)) }, true),
      /Expires=Mon, 01 Jan 1601 00:00:00 GMT/,
    );
  });

  test("negative, non-finite and malformed maxAge", () => {
    throwsCookieError(
      () => serializeSetCookie("a", "1", { maxAge: -1 }, true),
      '"a"',
      "-1",
      "delete()",
    );
    throwsCookieError(() => serializeSetCookie("a", "1", { maxAge: Number.NaN }, true), "NaN");
    throwsCookieError(() =>
      serializeSetCookie("a", "1", { maxAge: Number.POSITIVE_INFINITY }, true),
    );
    throwsCookieError(
      () => serializeSetCookie("a", "1", { maxAge: "7days" as "7d" }, true),
      '"a"',
      '"7days"',
    );
    throwsCookieError(() => serializeSetCookie("a", "1", { maxAge: "1000000000w" }, true), "9999");
  });

  test("maxAge and expires together are refused", () => {
    throwsCookieError(
      () => serializeSetCookie("a", "1", { maxAge: 60, expires: new Date() }, true),
      "both maxAge and expires",
    );
  });

  test("unknown sameSite or priority from untyped callers", () => {
    throwsCookieError(
      () => serializeSetCookie("a", "1", { sameSite: "sometimes" as "lax" }, true),
      '"sometimes"',
    );
    throwsCookieError(
      () => serializeSetCookie("a", "1", { priority: "urgent" as "high" }, true),
      '"urgent"',
    );
  });

  test("non-string values and lone surrogates", () => {
    throwsCookieError(
      () => serializeSetCookie("a", 42 as unknown as string, {}, true),
      "must be a string",
    );
    throwsCookieError(() => serializeSetCookie("a", "x\uD800y", {}, true), "lone UTF-16 surrogate");
  });
});

describe("serializeSetCookie: 4096-byte limit", () => {
  const overhead = "a=; Path=/; HttpOnly; Secure; SameSite=Lax".length;

  test("a 4096-byte Set-Cookie is accepted", () => {
    const header = serializeSetCookie("a", "x".repeat(MAX_SET_COOKIE_BYTES - overhead), {}, true);
    assert.equal(Buffer.byteLength(header), 4096);
  });

  test("a 4097-byte Set-Cookie is refused, naming the size, the limit and what to do", () => {
    throwsCookieError(
      () => serializeSetCookie("a", "x".repeat(MAX_SET_COOKIE_BYTES - overhead + 1), {}, true),
      '"a"',
      "4097 bytes",
      "4096",
      "server-side",
    );
  });

  test("the size counts the encoded value", () => {
    // "é" encodes to "%C3%A9": 6 bytes each.
    throwsCookieError(() => serializeSetCookie("a", "é".repeat(700), {}, true), "4242 bytes");
  });
});

describe("serializeSetCookie: round trip", () => {
  const roundTrip = (value: string): string | undefined => {
    const header = serializeSetCookie("v", value, {}, true);
    const pair = header.slice(0, header.indexOf(";"));
    return parseCookieHeader(`x=1; ${pair}; y=2`).v;
  };

  test("any string value survives serialize then parse", () => {
    for (const unit of ["binary", "grapheme", "binary-ascii"] as const) {
      fc.assert(
        fc.property(fc.string({ unit, maxLength: 200 }), (value) => {
          assert.equal(roundTrip(value), value);
        }),
        { numRuns: 500 },
      );
    }
  });

  test("values that look encoded or quoted survive too", () => {
    for (const value of [
      "%41",
      "%",
      "%%",
      "%E0%A4%A",
      '"quoted"',
      " padded ",
      "\t",
      "a=b",
      "=",
      "a\\b",
    ]) {
      assert.equal(roundTrip(value), value);
    }
  });
});
