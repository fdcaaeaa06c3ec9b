import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { type CookieDescription, describeCookie } from "../../src/codecs/describe.ts";
import { encodeFlaskSession } from "../../src/codecs/flask/index.ts";
import { Signer } from "../../src/codecs/flask/signer.ts";
import { SealKeys, sealSession } from "../../src/codecs/sealed/index.ts";
import { Keyring } from "../../src/crypto/keyring.ts";
import { newSessionId } from "../../src/crypto/session-id.ts";

const SECRET = "describe-test-secret-0123456789abcdef";
const OLDER = "describe-test-older-secret-0123456789";
/** `verified` of any description (undefined for an unknown format). */
function verifiedOf(description: CookieDescription): boolean | undefined {
  return "verified" in description ? description.verified : undefined;
}

const CLI = fileURLToPath(new URL("../../src/cli/main.ts", import.meta.url));

test("a Flask cookie: payload and timestamp without the secret, verification with it", () => {
  // A whole second in the past: a timestamp from the future does not verify.
  const now = Math.floor(Date.now() / 1_000) * 1_000 - 60_000;
  const cookie = encodeFlaskSession(
    { user: "ada", _permanent: true },
    { secrets: SECRET, now: () => now },
  );
  assert.deepEqual(describeCookie(cookie), {
    format: "flask",
    payload: { user: "ada", _permanent: true },
    timestamp: now / 1_000,
    compressed: false,
    verified: undefined,
  });
  assert.equal(verifiedOf(describeCookie(cookie, { secrets: SECRET })), true);
  assert.deepEqual(describeCookie(cookie, { secrets: [SECRET.replace("0", "1"), SECRET] }), {
    ...describeCookie(cookie),
    verified: true,
    rotated: true,
  });
  assert.equal(verifiedOf(describeCookie(cookie, { secrets: OLDER })), false);
  const forged = `${cookie.slice(0, -2)}${cookie.endsWith("AA") ? "BB" : "AA"}`;
  assert.equal(verifiedOf(describeCookie(forged, { secrets: SECRET })), false);
  const big = encodeFlaskSession({ text: "x".repeat(500) }, { secrets: SECRET });
  assert.equal((describeCookie(big) as { compressed: boolean }).compressed, true);
});

test("a sealed cookie: only its key id without the secret, the payload with it", () => {
  const keys = new SealKeys(SECRET);
  const expiresAt = Date.now() + 60_000;
  const cookie = sealSession({ user: "ada" }, { keys, expiresAt });
  const plain = describeCookie(cookie);
  assert.equal(plain.format, "sealed");
  assert.equal((plain as { keyId: string }).keyId, keys.newest.id);
  assert.equal((plain as { payload?: unknown }).payload, undefined);
  const opened = describeCookie(cookie, { secrets: [SECRET] });
  assert.deepEqual((opened as { payload: unknown }).payload, { user: "ada" });
  assert.equal((opened as { verified: boolean }).verified, true);
  assert.equal((opened as { expired: boolean }).expired, false);
  assert.equal(verifiedOf(describeCookie(cookie, { secrets: OLDER })), false);
  // Authentic but expired: shown as such, not as a forgery.
  const stale = sealSession({ user: "ada" }, { keys, expiresAt: Date.now() - 60_000 });
  const described = describeCookie(stale, { secrets: SECRET }) as {
    verified: boolean;
    expired: boolean;
    payload: unknown;
  };
  assert.deepEqual(
    [described.verified, described.expired, described.payload],
    [true, true, { user: "ada" }],
  );
});

test("a session id cookie: the id, and whether its signature is the app's", () => {
  const id = newSessionId();
  const cookie = `${id}.${new Keyring(SECRET).sign("session-id", id)}`;
  assert.deepEqual(describeCookie(cookie), { format: "session-id", id, verified: undefined });
  assert.deepEqual(describeCookie(cookie, { secrets: SECRET }), {
    format: "session-id",
    id,
    verified: true,
    rotated: false,
  });
  assert.equal(verifiedOf(describeCookie(cookie, { secrets: OLDER })), false);
});

test("a Flask-Session id cookie, signed (SESSION_USE_SIGNER) or bare", () => {
  const id = newSessionId();
  const signed = `${id}.${new Signer({ secrets: SECRET, salt: "flask-session", keyDerivation: "hmac" }).signature(id)}`;
  assert.deepEqual(describeCookie(signed), {
    format: "flask-session-id",
    id,
    signed: true,
    verified: undefined,
  });
  assert.deepEqual(describeCookie(signed, { secrets: [SECRET] }), {
    format: "flask-session-id",
    id,
    signed: true,
    verified: true,
    rotated: false,
  });
  assert.equal(verifiedOf(describeCookie(signed, { secrets: OLDER })), false);
  assert.deepEqual(describeCookie(id), {
    format: "flask-session-id",
    id,
    signed: false,
    verified: undefined,
  });
});

test("anything else is unknown, with the reason", () => {
  for (const junk of ["", "abc", "a.b", "%%%.@@@.!!!"]) {
    assert.equal(describeCookie(junk).format, "unknown", JSON.stringify(junk));
  }
});

test("tessera decode prints the description and exits 1 for a cookie that does not verify", () => {
  const cookie = encodeFlaskSession({ user: "ada" }, { secrets: SECRET });
  const run = (...args: string[]) => {
    try {
      return {
        status: 0,
        out: execFileSync(process.execPath, [CLI, "decode", ...args], { encoding: "utf8" }),
      };
    } catch (error) {
      const failed = error as { status: number; stdout: string };
      return { status: failed.status, out: failed.stdout };
    }
  };
  const unverified = run(`session=${cookie}`);
  assert.equal(unverified.status, 0);
  assert.deepEqual(JSON.parse(unverified.out).payload, { user: "ada" });
  assert.equal(JSON.parse(run(cookie, "--secret", SECRET).out).verified, true);
  assert.equal(run(cookie, "--secret", OLDER).status, 1);
  assert.equal(run().status, 2);
});
