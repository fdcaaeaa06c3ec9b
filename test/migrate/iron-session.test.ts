/**
 * The iron-session legacy source against the real iron-session 9: seals made by `sealData` and
 * by `getIronSession` (through a cookie jar and over node:http) must be found and read; anything
 * tampered, expired, unknown or garbage must be refused without throwing. Times are pinned with
 * mocked Date (iron seals with Date.now()), never waited for.
 */
import assert from "node:assert/strict";
import { createCipheriv, createHmac, pbkdf2Sync } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, type TestContext, test } from "node:test";
import fc from "fast-check";
import { type CookieJar, getIronSession, sealData, unsealData } from "iron-session";
import { parseAllValues } from "../../src/cookies/parse.ts";
import { ConfigError } from "../../src/errors.ts";
import { type IronSessionCookie, ironSession } from "../../src/migrate/iron-session.ts";
import type { LegacyCookieReader, LegacyFinding } from "../../src/migrate/source.ts";

const A = "iron-test-password-a-0123456789abcdefghij";
const B = "iron-test-password-b-0123456789abcdefghij";
const NAME = "app_session";
const T = Date.UTC(2030, 0, 1);
const HOUR = 3_600_000;

/** A request's cookies, as the engine hands them to a source. */
function reader(cookies: Record<string, string | readonly string[]>): LegacyCookieReader {
  return {
    getAll: (name) => {
      const value = Object.hasOwn(cookies, name) ? cookies[name] : undefined;
      return value === undefined ? [] : typeof value === "string" ? [value] : [...value];
    },
  };
}

function found(finding: LegacyFinding<IronSessionCookie>): IronSessionCookie {
  assert.equal(finding.kind, "found", `expected found, got ${JSON.stringify(finding)}`);
  return (finding as { cookie: IronSessionCookie }).cookie;
}

/** Pins Date.now() (iron's clock and the source's) for the rest of the test. */
function at(t: TestContext, now: number): (now: number) => void {
  t.mock.timers.enable({ apis: ["Date"], now });
  return (later) => t.mock.timers.setTime(later);
}

/** The seal's parts, without the version suffix. */
function partsOf(cookieValue: string): string[] {
  return (cookieValue.split("~")[0] ?? "").split("*");
}

/** `seal` with part `index` replaced by `change(part)`, the suffix kept. */
function withPart(cookieValue: string, index: number, change: (part: string) => string): string {
  const parts = partsOf(cookieValue);
  parts[index] = change(parts[index] ?? "");
  return `${parts.join("*")}~2`;
}

/** A different base64url character in the middle of `text`. */
function flip(text: string): string {
  const middle = Math.floor(text.length / 2);
  const swapped = text[middle] === "A" ? "B" : "A";
  return text.slice(0, middle) + swapped + text.slice(middle + 1);
}

/**
 * A seal of arbitrary ciphertext with a valid HMAC, written from iron's format (not the source's
 * code), for what iron-session never seals: invalid JSON, bad padding. `sealText` is checked
 * against iron-session's own unsealData below, so this helper follows the real format.
 */
function macSeal(password: string, id: string, iv: Buffer, ciphertext: Buffer, exp = ""): string {
  const key = (salt: string) => pbkdf2Sync(password, salt, 1, 32, "sha1");
  const encryptionSalt = "ab".repeat(32);
  const hmacSalt = "cd".repeat(32);
  const base = ["Fe26.2", id, encryptionSalt, iv.toString("base64url")];
  base.push(ciphertext.toString("base64url"), exp);
  const text = base.join("*");
  const mac = createHmac("sha256", key(hmacSalt)).update(text).digest("base64url");
  return `${text}*${hmacSalt}*${mac}~2`;
}

function sealText(password: string, plaintext: string, id = "1"): string {
  const iv = Buffer.alloc(16, 7);
  const key = pbkdf2Sync(password, "ab".repeat(32), 1, 32, "sha1");
  const cipher = createCipheriv("aes-256-cbc", key, iv);
  const ciphertext = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return macSeal(password, id, iv, ciphertext);
}

describe("ironSession: reading iron-session 9's cookies", () => {
  test("a session round-trips: nested data, unicode, the key is the seal without ~2", async (t) => {
    at(t, T);
    const data = { user: { id: 7, name: "Zoë 张伟 🍪", roles: ["admin", "a*b~c"] }, n: null };
    const value = await sealData(data, { password: A, ttl: 3600 });
    assert.match(value, /~2$/);
    const source = ironSession({ password: A, cookieName: NAME });
    const cookie = found(source.find(reader({ [NAME]: value })));
    assert.equal(cookie.key, value.slice(0, -2));
    assert.equal(cookie.expiration, T + HOUR);
    // iron-session's cookie Max-Age is ttl − 60 s: that is when the browser drops it.
    assert.deepEqual(source.read(cookie, T), { data, expiresAt: T + HOUR - 60_000 });
    assert.equal(source.forget(cookie), undefined);
  });

  test("the ~version suffix is outside the MAC: altered or missing, the seal verifies", async () => {
    const value = await sealData({ a: 1 }, { password: A });
    const source = ironSession({ password: A, cookieName: NAME });
    const seal = value.slice(0, -2);
    for (const variant of [seal, `${seal}~9`, `${seal}~`, `${seal}~~x*y`]) {
      assert.equal(found(source.find(reader({ [NAME]: variant }))).key, seal, variant.slice(-6));
    }
  });

  test("password rotation: the seal's id picks the password", async () => {
    const both = ironSession({ password: { 2: B, 1: A }, cookieName: NAME });
    const onlyA = ironSession({ password: { 1: A }, cookieName: NAME });
    const plainA = ironSession({ password: A, cookieName: NAME });

    const old = await sealData({ v: "old" }, { password: { 1: A } });
    assert.equal(partsOf(old)[1], "1");
    assert.deepEqual(both.read(found(both.find(reader({ [NAME]: old }))), Date.now())?.data, {
      v: "old",
    });
    // A plain string is iron-session's { 1: password }, both ways.
    found(plainA.find(reader({ [NAME]: old })));
    found(onlyA.find(reader({ [NAME]: await sealData({}, { password: A }) })));

    // iron-session seals with the highest id.
    const rotated = await sealData({ v: "new" }, { password: { 1: A, 2: B } });
    assert.equal(partsOf(rotated)[1], "2");
    found(both.find(reader({ [NAME]: rotated })));
    assert.deepEqual(onlyA.find(reader({ [NAME]: rotated })), {
      kind: "rejected",
      reason: "bad-signature",
    });
  });

  test("tampered, forged or wrongly keyed seals are bad-signature", async (t) => {
    at(t, T);
    const value = await sealData({ user: "alice" }, { password: { 1: A, 2: B } });
    const source = ironSession({ password: { 1: A, 2: B }, cookieName: NAME });
    const cases: Record<string, string> = {
      ciphertext: withPart(value, 4, flip),
      iv: withPart(value, 3, flip),
      mac: withPart(value, 7, flip),
      "mac's last character": withPart(
        value,
        7,
        (mac) => mac.slice(0, -1) + (mac.endsWith("A") ? "Q" : "A"),
      ),
      "encryption salt": withPart(value, 2, flip),
      "hmac salt": withPart(value, 6, flip),
      "password id swapped": withPart(value, 1, () => "1"),
      "password id unknown": withPart(value, 1, () => "3"),
      "password id empty (iron's 'default')": withPart(value, 1, () => ""),
      "expiration pushed later": withPart(value, 5, (exp) => String(Number(exp) + 1)),
      "expiration removed": withPart(value, 5, () => ""),
      // MAC first: a forged seal claiming an old expiration is not reported as merely expired.
      "expiration in the past": withPart(value, 5, () => String(T - 10 * HOUR)),
    };
    for (const [what, forged] of Object.entries(cases)) {
      assert.notEqual(forged, value, what);
      assert.deepEqual(
        source.find(reader({ [NAME]: forged })),
        { kind: "rejected", reason: "bad-signature" },
        what,
      );
    }
    for (const password of [B, { 1: B, 2: A }, { 2: A }]) {
      assert.deepEqual(
        ironSession({ password, cookieName: NAME }).find(reader({ [NAME]: value })),
        { kind: "rejected", reason: "bad-signature" },
      );
    }
  });

  test("expiry: iron's 60 s skew for the seal, expiration − 60 s for the session", async (t) => {
    const setTime = at(t, T);
    const value = await sealData({ a: 1 }, { password: A, ttl: 3600 });
    const source = ironSession({ password: A, cookieName: NAME });
    const find = () => source.find(reader({ [NAME]: value }));

    setTime(T + HOUR + 60_000);
    assert.deepEqual(find(), { kind: "rejected", reason: "expired" });
    // iron still accepts it 1 ms earlier; the browser had dropped it a minute before expiry.
    setTime(T + HOUR + 59_999);
    const late = found(find());
    assert.equal(source.read(late, Date.now()), undefined);
    assert.equal(source.read(late, T + HOUR - 60_000), undefined);
    assert.deepEqual(source.read(late, T + HOUR - 60_001), {
      data: { a: 1 },
      expiresAt: T + HOUR - 60_000,
    });
  });

  test("a seal without expiration (ttl 0): never expired; its end follows the ttl option", async (t) => {
    const setTime = at(t, T);
    const value = await sealData({ a: 1 }, { password: A, ttl: 0 });
    assert.equal(partsOf(value)[5], "");
    setTime(T + 100 * 365 * 24 * HOUR);
    const now = Date.now();
    const none = ironSession({ password: A, cookieName: NAME, ttl: 0 });
    assert.deepEqual(none.read(found(none.find(reader({ [NAME]: value }))), now), {
      data: { a: 1 },
      expiresAt: undefined,
    });
    // As if iron-session had saved it now: its cookie's Max-Age is ttl − 60 s (or ttl ≤ 60).
    const byDefault = ironSession({ password: A, cookieName: NAME });
    const cookie = found(byDefault.find(reader({ [NAME]: value })));
    assert.equal(byDefault.read(cookie, now)?.expiresAt, now + (14 * 24 * 3600 - 60) * 1000);
    const short = ironSession({ password: A, cookieName: NAME, ttl: 30 });
    assert.equal(short.read(cookie, now)?.expiresAt, now + 30_000);
  });

  test("chunked cookies written by getIronSession({ chunk: true }) are joined", async () => {
    const jar = new Map<string, string>();
    const cookieJar: CookieJar = {
      read: (name) => jar.get(name),
      write: (name, value) => {
        if (value === "") jar.delete(name);
        else jar.set(name, value);
      },
    };
    const options = { password: A, cookieName: NAME, chunk: true };
    // About 7.5 KB of UTF-8: three chunks (iron-session refuses more than four).
    const big = Array.from({ length: 3000 }, (_, i) => ["a", "é", "张", "🍪"][i % 4]).join("");
    const session = await getIronSession<{ big?: string }>(cookieJar, options);
    session.big = big;
    await session.save();
    assert.equal(jar.has(NAME), false);
    assert.ok(jar.has(`${NAME}.1`), `chunked into ${[...jar.keys()].join(", ")}`);

    const source = ironSession({ password: A, cookieName: NAME });
    const cookies = Object.fromEntries(jar);
    const cookie = found(source.find(reader(cookies)));
    assert.deepEqual(source.read(cookie, Date.now())?.data, { big });

    // A chunk missing or out of order breaks the seal: refused, as iron-session refuses it.
    const first = cookies[`${NAME}.0`] ?? "";
    const second = cookies[`${NAME}.1`] ?? "";
    for (const broken of [
      { [`${NAME}.0`]: first },
      { [`${NAME}.0`]: second, [`${NAME}.1`]: first },
      { [`${NAME}.1`]: second },
    ]) {
      assert.notEqual(source.find(reader(broken)).kind, "found");
    }
    // A whole cookie beside the chunks (a stale one, or planted) does not hide them.
    found(source.find(reader({ ...cookies, [NAME]: "Fe26.2*stale" })));
  });

  test("over node:http: the Set-Cookie headers of a real iron-session app verify", async () => {
    const big = "x".repeat(5000);
    const server = createServer(async (req, res) => {
      const session = await getIronSession<{ user?: string; big?: string }>(req, res, {
        password: { 1: A, 2: B },
        cookieName: NAME,
        chunk: true,
      });
      session.user = "alice";
      session.big = big;
      await session.save();
      res.end("ok");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const response = await fetch(`http://127.0.0.1:${port}/`);
      await response.text();
      const header = response.headers
        .getSetCookie()
        .map((each) => each.split(";")[0])
        .join("; ");
      assert.match(header, new RegExp(`${NAME}\\.1=`));
      const source = ironSession({ password: { 2: B, 1: A }, cookieName: NAME });
      const cookie = found(source.find({ getAll: (name) => parseAllValues(header, name) }));
      assert.deepEqual(source.read(cookie, Date.now())?.data, { user: "alice", big });
    } finally {
      server.close();
      server.closeAllConnections();
    }
  });

  test("several values under the name: a planted twin does not hide the real cookie", async () => {
    const value = await sealData({ a: 1 }, { password: A });
    const source = ironSession({ password: A, cookieName: NAME });
    const forged = await sealData({ a: 2 }, { password: B });
    assert.deepEqual(found(source.find(reader({ [NAME]: [forged, "junk", value] }))).data, {
      a: 1,
    });
    assert.deepEqual(source.find(reader({ [NAME]: ["junk", forged] })), {
      kind: "rejected",
      reason: "malformed",
    });
  });

  test("no cookie, or an empty one, is absent", () => {
    const source = ironSession({ password: A, cookieName: NAME });
    assert.deepEqual(source.find(reader({})), { kind: "absent" });
    assert.deepEqual(source.find(reader({ [NAME]: "", [`${NAME}.0`]: "" })), { kind: "absent" });
    assert.deepEqual(source.find(reader({ [`${NAME}.1`]: "Fe26.2" })), { kind: "absent" });
    assert.deepEqual(source.find(reader({ other: "x" })), { kind: "absent" });
  });

  test("malformed seals, and payloads iron-session never writes, are malformed", async () => {
    const source = ironSession({ password: A, cookieName: NAME });
    const value = await sealData({ a: 1 }, { password: A });
    const malformed = [
      "garbage",
      "Fe26.2",
      "Fe26.2*1*a*b*c*d*e",
      withPart(value, 0, () => "Fe26.1"),
      withPart(value, 1, () => "a-b"),
      withPart(value, 3, (iv) => `${iv}=`),
      withPart(value, 4, (c) => `${c}!`),
      withPart(value, 5, () => "0123"),
      withPart(value, 5, () => "9".repeat(30)),
      withPart(value, 6, () => ""),
      withPart(value, 7, (mac) => mac.slice(1)),
      `${value.split("~")[0]}*extra`,
      macSeal(A, "1", Buffer.alloc(16), Buffer.alloc(32, 1)), // bad padding
      macSeal(A, "1", Buffer.alloc(8), Buffer.alloc(32, 1)), // an 8-byte iv
      macSeal(A, "1", Buffer.alloc(16), Buffer.alloc(20, 1)), // not whole blocks
      sealText(A, '{"a":'), // invalid JSON
    ];
    for (const each of malformed) {
      assert.deepEqual(
        source.find(reader({ [NAME]: each })),
        { kind: "rejected", reason: "malformed" },
        each.slice(0, 40),
      );
    }
    assert.deepEqual(
      source.find(reader({ [NAME]: sealText(A, `${"[".repeat(600)}${"]".repeat(600)}`) })),
      {
        kind: "rejected",
        reason: "too-deep",
      },
    );
  });

  test("the test's own seal helper agrees with iron-session's unsealData", async () => {
    const sealed = sealText(A, '{"from":"helper"}');
    assert.deepEqual(await unsealData(sealed, { password: A }), { from: "helper" });
  });

  test("a payload that is not an object is found but leads nowhere", async () => {
    const source = ironSession({ password: A, cookieName: NAME });
    for (const payload of [42, "text", null, true]) {
      const cookie = found(
        source.find(reader({ [NAME]: await sealData(payload, { password: A }) })),
      );
      assert.equal(source.read(cookie, Date.now()), undefined, JSON.stringify(payload));
    }
    const list = found(source.find(reader({ [NAME]: sealText(A, "[1,2]") })));
    assert.equal(source.read(list, Date.now()), undefined);
  });

  test("garbage never throws: arbitrary values and mutated seals are refused", async () => {
    const value = await sealData({ user: "alice" }, { password: A });
    const seal = value.slice(0, -2);
    const source = ironSession({ password: A, cookieName: NAME });
    const sealish = fc.string({ unit: fc.constantFrom(..."Fe26.2*~019afAZ_-=!é") });
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), fc.string({ unit: "binary" }), sealish),
        fc.array(fc.oneof(fc.string(), sealish), { maxLength: 4 }),
        (whole, chunks) => {
          const cookies: Record<string, string> = { [NAME]: whole };
          chunks.forEach((chunk, index) => {
            cookies[`${NAME}.${index}`] = chunk;
          });
          const kind = source.find(reader(cookies)).kind;
          assert.ok(kind === "absent" || kind === "rejected", kind);
        },
      ),
    );
    // Any change to the seal itself (the MAC covers it, the hmac salt keys it) is refused.
    fc.assert(
      fc.property(
        fc.nat({ max: seal.length - 1 }),
        fc.nat({ max: 2 }),
        fc.string({ minLength: 1, maxLength: 3 }),
        (index, action, text) => {
          const mutated =
            action === 0
              ? seal.slice(0, index) + seal.slice(index + 1)
              : action === 1
                ? seal.slice(0, index) + text + seal.slice(index)
                : seal.slice(0, index) + text + seal.slice(index + 1);
          // The seal with something after it ("~…") is the seal: not a change to it.
          fc.pre(!mutated.startsWith(seal));
          assert.equal(source.find(reader({ [NAME]: mutated })).kind, "rejected");
        },
      ),
    );
  });

  test("name, cookies to clear, and deletion options", () => {
    const source = ironSession({ password: A, cookieName: NAME });
    assert.equal(source.name, "iron-session");
    assert.deepEqual(source.cookies, [
      { name: NAME, options: { path: "/" } },
      ...[0, 1, 2, 3].map((i) => ({ name: `${NAME}.${i}`, options: { path: "/" } })),
    ]);
    const scoped = ironSession({
      password: A,
      cookieName: NAME,
      cookie: { path: "/app", domain: "example.com" },
    });
    assert.deepEqual(
      scoped.cookies.map((each) => each.options),
      Array(5).fill({ path: "/app", domain: "example.com" }),
    );
  });

  test("bad options are a ConfigError that says what to do and never shows a password", () => {
    const secretish = "short-password-SECRET";
    const cases: [string, unknown, RegExp][] = [
      ["short password", { password: secretish, cookieName: NAME }, /21 characters.*at least 32/],
      [
        "short password in a map",
        { password: { 1: A, 2: secretish }, cookieName: NAME },
        /id "2" is 21/,
      ],
      ["empty map", { password: {}, cookieName: NAME }, /empty map/],
      ["non-integer id", { password: { one: A }, cookieName: NAME }, /id "one"/],
      ["non-string password", { password: { 1: 42 }, cookieName: NAME }, /id "1" is number/],
      ["no password", { cookieName: NAME }, /got undefined/],
      ["no cookieName", { password: A }, /cookieName.*required/],
      ["bad cookieName", { password: A, cookieName: "a b" }, /cookieName.*space|cookieName.*" "/],
      ["negative ttl", { password: A, cookieName: NAME, ttl: -1 }, /ttl.*-1/],
      ["string ttl", { password: A, cookieName: NAME, ttl: "14d" }, /ttl.*string/],
      ["bad path", { password: A, cookieName: NAME, cookie: { path: "app" } }, /path/],
      ["bad domain", { password: A, cookieName: NAME, cookie: { domain: "https://x" } }, /domain/],
      ["no options", undefined, /options object/],
    ];
    for (const [what, options, message] of cases) {
      assert.throws(
        () => ironSession(options as Parameters<typeof ironSession>[0]),
        (error: unknown) => {
          assert.ok(error instanceof ConfigError, what);
          assert.match(error.message, message, what);
          assert.ok(!error.message.includes(secretish) && !error.message.includes(A), what);
          return true;
        },
      );
    }
  });
});
