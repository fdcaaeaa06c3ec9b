import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { Cookies } from "../../src/cookies/jar.ts";
import { Keyring } from "../../src/crypto/keyring.ts";
import { CookieError } from "../../src/errors.ts";

const NEW_SECRET = "new-secret-0123456789abcdefghij";
const OLD_SECRET = "old-secret-0123456789abcdefghij";
const keyring = new Keyring(NEW_SECRET);

const jar = (header?: string, ring: Keyring | undefined = keyring) =>
  new Cookies(header, { requestIsSecure: true, keyring: ring });

/** The cookie value a browser would send back for a Set-Cookie header. */
const sentBack = (setCookie: string): string => setCookie.slice(0, setCookie.indexOf(";"));

describe("Cookies: reading the request", () => {
  test("get, has, all", () => {
    const cookies = jar("user=ada; theme=dark%20blue");
    assert.equal(cookies.get("user"), "ada");
    assert.equal(cookies.get("theme"), "dark blue");
    assert.equal(cookies.get("missing"), undefined);
    assert.equal(cookies.has("user"), true);
    assert.equal(cookies.has("missing"), false);
    assert.deepEqual({ ...cookies.all() }, { user: "ada", theme: "dark blue" });
    assert.ok(Object.isFrozen(cookies.all()));
  });

  test("no Cookie header", () => {
    const cookies = jar(undefined);
    assert.equal(cookies.get("a"), undefined);
    assert.deepEqual(cookies.getAll("a"), []);
    assert.deepEqual(Object.keys(cookies.all()), []);
  });

  test("duplicate names: getAll returns all in order, get returns the first", () => {
    const cookies = jar("id=a; id=b; other=x; id=c");
    assert.deepEqual(cookies.getAll("id"), ["a", "b", "c"]);
    assert.equal(cookies.get("id"), "a");
  });

  test("__proto__ and constructor cookies are harmless", () => {
    const cookies = jar("__proto__=x; constructor=y");
    assert.equal(cookies.get("__proto__"), "x");
    assert.equal(cookies.get("constructor"), "y");
    assert.equal(cookies.has("__proto__"), true);
    assert.equal(jar("a=1").has("constructor"), false);
    assert.equal(jar("a=1").get("toString"), undefined);
    assert.equal(({} as Record<string, unknown>).x, undefined);
  });

  test("what set and delete did in this response is not reflected by get", () => {
    const cookies = jar("a=1; b=2");
    cookies.set("a", "changed").set("c", "new").delete("b");
    assert.equal(cookies.get("a"), "1");
    assert.equal(cookies.get("b"), "2");
    assert.equal(cookies.get("c"), undefined);
  });
});

describe("Cookies: writing the response", () => {
  test("set applies the secure defaults and the request's scheme", () => {
    assert.deepEqual(jar().set("a", "1").outgoing, ["a=1; Path=/; HttpOnly; Secure; SameSite=Lax"]);
    const plain = new Cookies(undefined, { requestIsSecure: false });
    assert.deepEqual(plain.set("a", "1").outgoing, ["a=1; Path=/; HttpOnly; SameSite=Lax"]);
  });

  test("setting one cookie twice sends only the last", () => {
    const cookies = jar().set("a", "1").set("b", "x").set("a", "2", { sameSite: "strict" });
    assert.deepEqual(cookies.outgoing, [
      "b=x; Path=/; HttpOnly; Secure; SameSite=Lax",
      "a=2; Path=/; HttpOnly; Secure; SameSite=Strict",
    ]);
  });

  test("a delete after a set replaces it, and a set after a delete replaces that", () => {
    const cookies = jar().set("a", "1").delete("a");
    assert.deepEqual(cookies.outgoing, [
      "a=; Max-Age=0; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; Secure; SameSite=Lax",
    ]);
    cookies.set("a", "3");
    assert.deepEqual(cookies.outgoing, ["a=3; Path=/; HttpOnly; Secure; SameSite=Lax"]);
  });

  test("different Path or Domain are different cookies", () => {
    const cookies = jar()
      .set("a", "root")
      .set("a", "app", { path: "/app" })
      .set("a", "shared", { domain: "example.com" })
      .set("a", "shared2", { domain: ".EXAMPLE.com" })
      .delete("a", { path: "/app" });
    assert.deepEqual(cookies.outgoing, [
      "a=root; Path=/; HttpOnly; Secure; SameSite=Lax",
      "a=shared2; Domain=.EXAMPLE.com; Path=/; HttpOnly; Secure; SameSite=Lax",
      "a=; Max-Age=0; Path=/app; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; Secure; SameSite=Lax",
    ]);
  });

  test("delete keeps the Path and Domain given", () => {
    assert.deepEqual(jar().delete("a", { path: "/x", domain: "example.com" }).outgoing, [
      "a=; Max-Age=0; Domain=example.com; Path=/x; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; Secure; SameSite=Lax",
    ]);
  });

  test("validation errors throw at set time and queue nothing", () => {
    const cookies = new Cookies(undefined, { requestIsSecure: false });
    assert.throws(() => cookies.set("__Host-id", "1"), CookieError);
    assert.throws(() => cookies.set("bad name", "1"), CookieError);
    assert.throws(() => cookies.set("a", "x".repeat(5000)), /bytes/);
    assert.throws(() => cookies.delete("__Secure-x"), CookieError);
    assert.deepEqual(cookies.outgoing, []);
  });

  test("outgoing is a snapshot", () => {
    const cookies = jar().set("a", "1");
    const before = cookies.outgoing;
    cookies.set("b", "2");
    assert.equal(before.length, 1);
    assert.equal(cookies.outgoing.length, 2);
  });
});

describe("Cookies: signed cookies", () => {
  const signedHeader = (name: string, value: string, ring = keyring): string => {
    const [setCookie] = jar(undefined, ring).setSigned(name, value).outgoing;
    return sentBack(setCookie ?? "");
  };

  test("round trip", () => {
    const header = signedHeader("user", "ada");
    assert.match(header, /^user=ada\.[A-Za-z0-9_-]{43}$/);
    const cookies = jar(header);
    assert.equal(cookies.getSigned("user"), "ada");
    assert.deepEqual(cookies.verifySigned("user"), { value: "ada", rotated: false });
    assert.equal(cookies.get("user"), header.slice("user=".length));
  });

  test("any value round-trips, dots and all", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 100 }), (value) => {
        assert.equal(jar(signedHeader("v", value)).getSigned("v"), value);
      }),
      { numRuns: 200 },
    );
    assert.equal(jar(signedHeader("v", "a.b.c")).getSigned("v"), "a.b.c");
    assert.equal(jar(signedHeader("v", "")).getSigned("v"), "");
  });

  test("tampering with any character gives undefined", () => {
    const header = signedHeader("user", "ada.lovelace-42");
    const signed = header.slice("user=".length);
    const alphabet = "ABCZabcz019_-.";
    fc.assert(
      fc.property(
        fc.nat({ max: signed.length - 1 }),
        fc.constantFrom(...alphabet),
        (index, replacement) => {
          fc.pre(signed[index] !== replacement);
          const tampered = signed.slice(0, index) + replacement + signed.slice(index + 1);
          assert.equal(jar(`user=${tampered}`).getSigned("user"), undefined);
        },
      ),
      { numRuns: 500 },
    );
    // Every position, deterministically.
    for (let index = 0; index < signed.length; index++) {
      const replacement = signed[index] === "A" ? "B" : "A";
      const tampered = signed.slice(0, index) + replacement + signed.slice(index + 1);
      assert.equal(jar(`user=${tampered}`).getSigned("user"), undefined, `index ${index}`);
    }
  });

  test("truncated, extended or unsigned values give undefined", () => {
    const signed = signedHeader("user", "ada").slice("user=".length);
    for (const value of [signed.slice(0, -1), `${signed}A`, "ada", "ada.", ".", "", `x${signed}`]) {
      assert.equal(jar(`user=${value}`).getSigned("user"), undefined, value);
    }
    assert.equal(jar("other=1").getSigned("user"), undefined);
  });

  test("a signed value moved to another cookie name gives undefined", () => {
    const signed = signedHeader("role", "admin").slice("role=".length);
    assert.equal(jar(`role=${signed}`).getSigned("role"), "admin");
    assert.equal(jar(`roles=${signed}`).getSigned("roles"), undefined);
    assert.equal(jar(`user=${signed}`).getSigned("user"), undefined);
  });

  test("rotation: an old-key cookie verifies with rotated: true", () => {
    const oldHeader = signedHeader("user", "ada", new Keyring(OLD_SECRET));
    const rotatedRing = new Keyring([NEW_SECRET, OLD_SECRET]);
    const cookies = jar(oldHeader, rotatedRing);
    assert.deepEqual(cookies.verifySigned("user"), { value: "ada", rotated: true });
    assert.equal(cookies.getSigned("user"), "ada");
    // Re-issued with the newest key, it verifies without rotation.
    const reissued = sentBack(cookies.setSigned("user", "ada").outgoing[0] ?? "");
    assert.deepEqual(jar(reissued, rotatedRing).verifySigned("user"), {
      value: "ada",
      rotated: false,
    });
    // A ring that no longer holds the old key rejects it.
    assert.equal(jar(oldHeader, keyring).getSigned("user"), undefined);
  });

  test("cookie tossing: a planted twin does not hide the genuine cookie", () => {
    const genuine = signedHeader("sid", "genuine");
    const cookies = jar(`sid=planted.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA; ${genuine}`);
    assert.equal(cookies.get("sid"), "planted.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    assert.equal(cookies.getSigned("sid"), "genuine");
  });

  test("setSigned applies the options and the cookie rules", () => {
    const [setCookie] = jar().setSigned("a", "1", { path: "/x", maxAge: 0 }).outgoing;
    assert.match(setCookie ?? "", /^a=1\.[A-Za-z0-9_-]{43}; Max-Age=0; Path=\/x; Expires=/);
    assert.throws(
      () => new Cookies(undefined, { requestIsSecure: false, keyring }).setSigned("__Host-a", "1"),
      CookieError,
    );
  });

  test("without a keyring the signed methods say to pass a secret", () => {
    const cookies = new Cookies("a=1", { requestIsSecure: true });
    for (const call of [
      () => cookies.setSigned("a", "1"),
      () => cookies.getSigned("a"),
      () => cookies.verifySigned("a"),
    ]) {
      assert.throws(call, (error: unknown) => {
        assert.ok(error instanceof CookieError);
        assert.match(error.message, /secret/);
        assert.match(error.message, /"a"/);
        return true;
      });
    }
  });
});
