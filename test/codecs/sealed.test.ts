import assert from "node:assert/strict";
import crypto, { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";
import { syncBuiltinESMExports } from "node:module";
import { describe, mock, test } from "node:test";
import fc from "fast-check";
import {
  type SealedSessionData,
  SealKeys,
  sealSession,
  unsealSession,
} from "../../src/codecs/sealed/index.ts";
import { Keyring } from "../../src/crypto/keyring.ts";
import { CookieError, SessionValueError } from "../../src/errors.ts";

const NEW = "sealed-test-newest-secret-0123456789ab";
const OLD = "sealed-test-older-secret-0123456789abc";
const NOW = 1_700_000_000_000;
const LATER = NOW + 3_600_000;
const clock = () => NOW;

const newKeys = new SealKeys(NEW);
const oldKeys = new SealKeys(OLD);
const bothKeys = new SealKeys([NEW, OLD]);

/** The derivation as specified, computed here independently of SealKeys. */
function spec(secret: string): { key: Buffer; id: string } {
  const salt = "tessera sealed cookie v1";
  return {
    key: Buffer.from(hkdfSync("sha256", secret, salt, "aes-256-gcm", 32)),
    id: Buffer.from(hkdfSync("sha256", secret, salt, "key id", 6)).toString("base64url"),
  };
}

/** A token sealing any plaintext bytes with the spec's key for `secret`. */
function sealRaw(secret: string, plaintext: Buffer | string, header?: string): string {
  const { key, id } = spec(secret);
  const aad = header ?? `v1.${id}`;
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  cipher.setAAD(Buffer.from(aad));
  const ct = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return `v1.${id}.${Buffer.concat([iv, ct, cipher.getAuthTag()]).toString("base64url")}`;
}

const seal = (data: SealedSessionData, keys = newKeys) =>
  sealSession(data, { keys, expiresAt: LATER });
const open = (value: string, keys = newKeys) => unsealSession(value, { keys, now: clock });

describe("sealed cookie format", () => {
  test("round trip: data, expiry in whole seconds (rounded up), not rotated", () => {
    const data = { user: "ada", roles: ["admin"], n: 3, nested: { ok: true, none: null } };
    const cookie = sealSession(data, { keys: newKeys, expiresAt: LATER - 999 });
    assert.deepEqual(open(cookie), {
      data,
      expiresAt: LATER,
      createdAt: undefined,
      rotated: false,
    });
    assert.deepEqual(
      unsealSession(sealSession(data, { keys: newKeys, expiresAt: new Date(LATER) }), {
        keys: newKeys,
        now: clock,
      })?.data,
      data,
    );
  });

  test("the spelling is v1.<keyId>.<base64url(iv | ciphertext | tag)>, AAD v1.<keyId>", () => {
    const cookie = seal({ a: 1 });
    assert.match(cookie, /^v1\.[A-Za-z0-9_-]{8}\.[A-Za-z0-9_-]+$/);
    const [version, id, body] = cookie.split(".") as [string, string, string];
    const { key, id: specId } = spec(NEW);
    assert.equal(version, "v1");
    assert.equal(id, specId);
    assert.deepEqual(newKeys.ids, [specId]);
    const bytes = Buffer.from(body, "base64url");
    const decipher = createDecipheriv("aes-256-gcm", key, bytes.subarray(0, 12));
    decipher.setAAD(Buffer.from(`v1.${id}`));
    decipher.setAuthTag(bytes.subarray(bytes.length - 16));
    const plain = Buffer.concat([
      decipher.update(bytes.subarray(12, bytes.length - 16)),
      decipher.final(),
    ]).toString("utf8");
    assert.equal(plain, `{"e":${LATER / 1000},"d":{"a":1}}`);
  });

  test("two seals of the same data differ (random IV) and both open", () => {
    const a = seal({ same: "data" });
    const b = seal({ same: "data" });
    assert.notEqual(a, b);
    assert.notEqual(a.split(".")[2]?.slice(0, 16), b.split(".")[2]?.slice(0, 16));
    assert.deepEqual(open(a)?.data, open(b)?.data);
  });

  test("IVs come from a pool: one randomBytes call per 256 seals, never an IV twice", () => {
    const random = mock.method(crypto, "randomBytes");
    syncBuiltinESMExports();
    const ivs = new Set<string>();
    try {
      for (let seal = 0; seal < 1_000; seal++) {
        const token = sealSession({ seal }, { keys: newKeys, expiresAt: LATER });
        const body = Buffer.from(token.split(".")[2] as string, "base64url");
        ivs.add(body.subarray(0, 12).toString("hex"));
        assert.deepEqual(unsealSession(token, { keys: newKeys, now: clock })?.data, { seal });
      }
      // 1000 seals take 12000 bytes: 4 pools of 3072, and maybe one begun before.
      assert.ok(random.mock.callCount() <= 5, `${random.mock.callCount()} calls`);
    } finally {
      random.mock.restore();
      syncBuiltinESMExports();
    }
    assert.equal(ivs.size, 1_000);
  });

  test("a SealKeys can be built from a Keyring and follows its secret rules", () => {
    const fromRing = new SealKeys(new Keyring([NEW, OLD]));
    assert.deepEqual(fromRing.ids, bothKeys.ids);
    assert.throws(() => new SealKeys("short"), /at least 24/);
    assert.throws(() => new SealKeys([]), /No secret was given/);
  });
});

describe("rotation", () => {
  test("sealed with the old key: opens with [new, old] as rotated, re-seals with the newest", () => {
    const cookie = seal({ user: "ada" }, oldKeys);
    const opened = open(cookie, bothKeys);
    assert.deepEqual(opened, {
      data: { user: "ada" },
      expiresAt: LATER,
      createdAt: undefined,
      rotated: true,
    });
    const resealed = seal(opened?.data ?? {}, bothKeys);
    assert.equal(resealed.split(".")[1], newKeys.ids[0]);
    assert.deepEqual(open(resealed, bothKeys)?.rotated, false);
    assert.deepEqual(open(resealed, newKeys)?.data, { user: "ada" });
  });

  test("once the old secret is dropped its cookies no longer open", () => {
    assert.equal(open(seal({ user: "ada" }, oldKeys), newKeys), undefined);
  });

  test("the same secret listed twice still opens (ids collide, each key is tried)", () => {
    const twice = new SealKeys([NEW, NEW]);
    assert.equal(open(seal({ a: 1 }), twice)?.rotated, false);
  });

  test("a key id reveals nothing obvious about the key or the secret", () => {
    for (const secret of [NEW, OLD]) {
      const { key } = spec(secret);
      const [id] = new SealKeys(secret).ids as [string];
      assert.equal(id.length, 8);
      for (const spelling of [
        key.toString("base64url"),
        key.toString("hex"),
        key.toString("base64"),
        secret,
        Buffer.from(secret).toString("base64url"),
        Buffer.from(secret).toString("hex"),
      ]) {
        assert.ok(!spelling.includes(id), `${id} found in ${spelling}`);
        assert.ok(!spelling.includes(id.slice(0, 6)));
      }
    }
    assert.notEqual(newKeys.ids[0], oldKeys.ids[0]);
    assert.deepEqual(new SealKeys(NEW).ids, newKeys.ids);
  });
});

describe("expiry", () => {
  test("an expired cookie is undefined; one second before it opens", () => {
    const cookie = seal({ a: 1 });
    assert.ok(unsealSession(cookie, { keys: newKeys, now: () => LATER - 1 }));
    assert.equal(unsealSession(cookie, { keys: newKeys, now: () => LATER }), undefined);
    assert.equal(
      unsealSession(cookie, { keys: newKeys, now: () => LATER + 86_400_000 }),
      undefined,
    );
    assert.equal(open(sealSession({ a: 1 }, { keys: newKeys, expiresAt: NOW - 1 })), undefined);
  });

  test("the default clock is Date.now", () => {
    const cookie = sealSession({ a: 1 }, { keys: newKeys, expiresAt: Date.now() + 60_000 });
    assert.ok(unsealSession(cookie, { keys: newKeys }));
    const old = sealSession({ a: 1 }, { keys: newKeys, expiresAt: Date.now() - 1000 });
    assert.equal(unsealSession(old, { keys: newKeys }), undefined);
  });

  test("the expiry cannot be extended: flipping its digits in the ciphertext breaks auth", () => {
    const cookie = seal({ a: 1 });
    const [head, id, body] = cookie.split(".") as [string, string, string];
    const bytes = Buffer.from(body, "base64url");
    const digit = 12 + '{"e":'.length; // first digit of the expiry (GCM is a stream cipher)
    const longer = Buffer.from(bytes);
    // "1700003600" -> "9700003600": the same bit change in the ciphertext, no new tag.
    longer[digit] = (longer[digit] as number) ^ "1".charCodeAt(0) ^ "9".charCodeAt(0);
    assert.equal(open(`${head}.${id}.${longer.toString("base64url")}`), undefined);
    // With the key, the same plaintext would open: the tag alone refuses it.
    assert.ok(open(sealRaw(NEW, `{"e":9700003600,"d":{"a":1}}`)));
  });
});

describe("tampering and bad input give undefined, never a throw", () => {
  test("every single-byte change, deletion, insertion and truncation of one cookie", () => {
    const cookie = seal({ user: "ada", n: 1 });
    assert.ok(open(cookie));
    let tried = 0;
    for (let position = 0; position < cookie.length; position++) {
      for (let byte = 0; byte < 256; byte++) {
        if (byte === cookie.charCodeAt(position)) continue;
        const changed =
          cookie.slice(0, position) + String.fromCharCode(byte) + cookie.slice(position + 1);
        assert.equal(open(changed), undefined, `byte ${byte} at ${position}`);
        tried++;
      }
      assert.equal(open(cookie.slice(0, position) + cookie.slice(position + 1)), undefined);
      assert.equal(open(cookie.slice(0, position)), undefined);
      for (const extra of ["A", "_", ".", "="]) {
        assert.equal(open(cookie.slice(0, position) + extra + cookie.slice(position)), undefined);
      }
    }
    assert.equal(open(`${cookie}A`), undefined);
    assert.equal(tried, cookie.length * 255);
  });

  test("malformed values", () => {
    const cookie = seal({ a: 1 });
    const [, id, body] = cookie.split(".") as [string, string, string];
    for (const value of [
      "",
      "v1",
      "v1..",
      `v1.${id}`,
      `v1.${id}.`,
      `v2.${id}.${body}`,
      `V1.${id}.${body}`,
      `v1.${oldKeys.ids[0]}.${body}`,
      `v1.AAAAAAAA.${body}`,
      `v1.${id}.${body}.x`,
      `v1.${id}.${body}=`,
      `v1.${id}.${Buffer.from(body, "base64url").toString("base64")}`,
      `v1.${id}.${body.slice(0, 38)}`,
      `v1.${id}.${"A".repeat(10_000)}`,
      ` ${cookie}`,
      `${cookie} `,
      encodeURIComponent(cookie).replaceAll(".", "%2E"),
    ]) {
      assert.equal(open(value), undefined, value.slice(0, 80));
    }
    assert.equal(unsealSession(123 as unknown as string, { keys: newKeys }), undefined);
  });

  test("authentic plaintexts that are not a session", () => {
    const e = LATER / 1000;
    for (const plaintext of [
      "not json",
      "",
      "null",
      "[]",
      `{"e":${e}}`,
      `{"d":{}}`,
      `{"e":${e},"d":[1]}`,
      `{"e":${e},"d":null}`,
      `{"e":${e},"d":"x"}`,
      `{"e":"${e}","d":{}}`,
      `{"e":${e}.5,"d":{}}`,
      `{"e":1e400,"d":{}}`,
      `{"e":${e},"d":{},"x":1}`,
      Buffer.from([0x7b, 0xff, 0xfe, 0x7d]),
    ]) {
      assert.equal(open(sealRaw(NEW, plaintext)), undefined, String(plaintext));
    }
    assert.ok(open(sealRaw(NEW, `{"e":${e},"d":{}}`)));
  });

  test("the header is authenticated: a token re-labelled or sealed under another AAD fails", () => {
    const e = LATER / 1000;
    const wrongAad = sealRaw(NEW, `{"e":${e},"d":{}}`, `v2.${spec(NEW).id}`);
    assert.equal(open(wrongAad), undefined);
    const cookie = seal({ a: 1 }, bothKeys);
    const relabelled = cookie.replace(newKeys.ids[0] as string, oldKeys.ids[0] as string);
    assert.equal(open(relabelled, bothKeys), undefined);
  });
});

describe("sealing errors", () => {
  test("a value over the limit is a CookieError naming its size and the limit", () => {
    const data = { blob: "x".repeat(4000) };
    const size = sealSession(data, { keys: newKeys, expiresAt: LATER, maxLength: 100_000 }).length;
    assert.ok(size > 4096);
    assert.throws(
      () => seal(data),
      (error: unknown) => {
        assert.ok(error instanceof CookieError);
        assert.equal(error.code, "TESSERA_COOKIE");
        assert.ok(error.message.includes(`would be ${size} bytes`), error.message);
        assert.ok(error.message.includes("limit of 4096 bytes"), error.message);
        return true;
      },
    );
    const small = seal({ a: "y".repeat(50) }).length;
    assert.throws(
      () => sealSession({ a: "y".repeat(50) }, { keys: newKeys, expiresAt: LATER, maxLength: 80 }),
      new RegExp(`would be ${small} bytes, over the limit of 80 bytes`),
    );
    assert.equal(
      sealSession({ a: "y".repeat(50) }, { keys: newKeys, expiresAt: LATER, maxLength: small })
        .length,
      small,
    );
  });

  test("data JSON would not keep is a SessionValueError naming where", () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    for (const [data, where] of [
      [{ when: new Date(0) }, /data\["when"\] is a Date/],
      [{ n: Number.NaN }, /data\["n"\] is NaN/],
      [{ list: [1, undefined] }, /data\["list"\]\[1\] is undefined/],
      [{ f: () => 1 }, /data\["f"\] is a function/],
      [{ big: 1n }, /data\["big"\] is a bigint/],
      [{ m: new Map() }, /is a Map/],
      [cyclic, /cycle/],
      [[1], /plain object; got an array/],
      [null, /plain object; got null/],
    ] as const) {
      assert.throws(
        () => seal(data as unknown as SealedSessionData),
        (error: unknown) => {
          assert.ok(error instanceof SessionValueError);
          assert.match(error.message, where);
          return true;
        },
      );
    }
    assert.throws(() => sealSession({}, { keys: newKeys, expiresAt: Number.NaN }), /expiresAt/);
    assert.throws(
      () => sealSession({}, { keys: newKeys, expiresAt: new Date(Number.NaN) }),
      /expiresAt/,
    );
  });

  test("shared subobjects are not cycles", () => {
    const shared = { x: 1 };
    assert.deepEqual(open(seal({ a: shared, b: shared }))?.data, { a: { x: 1 }, b: { x: 1 } });
  });
});

describe("properties", () => {
  const sessionData = fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 6 });

  test("arbitrary JSON data round-trips (as JSON would give it back)", () => {
    fc.assert(
      fc.property(sessionData, (data) => {
        const cookie = sealSession(data as SealedSessionData, {
          keys: newKeys,
          expiresAt: LATER,
          maxLength: 1_000_000,
        });
        const opened = open(cookie);
        assert.deepStrictEqual(opened?.data, JSON.parse(JSON.stringify(data)));
        assert.equal(opened?.rotated, false);
      }),
      { numRuns: 300 },
    );
  });

  test("a random single-character change never opens", () => {
    fc.assert(
      fc.property(sessionData, fc.nat(), fc.integer({ min: 0, max: 0xffff }), (data, at, code) => {
        const cookie = sealSession(data as SealedSessionData, {
          keys: newKeys,
          expiresAt: LATER,
          maxLength: 1_000_000,
        });
        const position = at % cookie.length;
        fc.pre(cookie.charCodeAt(position) !== code);
        const changed =
          cookie.slice(0, position) + String.fromCharCode(code) + cookie.slice(position + 1);
        assert.equal(open(changed), undefined);
      }),
      { numRuns: 500 },
    );
  });
});
