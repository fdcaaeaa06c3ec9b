/**
 * iron-session's cookie (v8 and v9, sealed by iron-webcrypto), read for `migrateFrom`: the whole
 * session is in the cookie, so there is no record to read or forget.
 *
 * The value is `<seal>~<major version>`, split across `<name>.0` … `<name>.3` when too big for
 * one cookie. The seal is iron's `Fe26.2` format, eight `*`-separated parts:
 *
 *   Fe26.2 * passwordId * encryptionSalt * iv * ciphertext * expiration * hmacSalt * hmac
 *
 * Each key is PBKDF2-SHA1 (1 iteration, 32 bytes) of the password with its salt string; the
 * HMAC-SHA256 covers the first six parts; the ciphertext is AES-256-CBC of the session's JSON.
 * Everything here is synchronous node:crypto, because `find` does no I/O.
 */
import { createDecipheriv, createHmac, pbkdf2Sync, timingSafeEqual } from "node:crypto";
import { MAX_NESTING, nestsDeeperThan } from "../codecs/nesting.ts";
import { assertDomain, assertPath } from "../cookies/attributes.ts";
import { assertCookieName } from "../cookies/name.ts";
import type { DeletionOptions } from "../cookies/options.ts";
import type { RejectReason } from "../diagnostics.ts";
import { ConfigError } from "../errors.ts";
import type {
  LegacyCookie,
  LegacyCookieName,
  LegacyCookieReader,
  LegacyFinding,
  LegacySession,
  LegacySource,
} from "./source.ts";

export interface IronSessionSourceOptions {
  /** The password iron-session was given: a string (at least 32 characters) or a map of id → password for rotation, exactly as iron-session's `password` option. */
  readonly password: string | Readonly<Record<string, string>>;
  /** iron-session's cookieName (it has no default; required). */
  readonly cookieName: string;
  /**
   * iron-session's ttl in seconds (default 14 days, iron-session's default); 0 means none. Used
   * only when the seal carries no expiration: the session then ends as if iron-session had
   * saved it at the takeover.
   */
  readonly ttl?: number;
  /** The path and domain the iron-session cookie was set with, to delete it (default path "/"). */
  readonly cookie?: { readonly path?: string; readonly domain?: string };
}

/** A verified iron-session cookie: its seal, and what the seal holds. */
export interface IronSessionCookie extends LegacyCookie {
  /** The seal without its `~<version>` suffix. */
  readonly key: string;
  /** The decrypted JSON, whatever it is (`read` keeps only a plain object). */
  readonly data: unknown;
  /** The seal's expiration (ms since the epoch), or undefined when it was sealed with ttl 0. */
  readonly expiration: number | undefined;
}

/** The source: synchronous throughout, for the whole session is in the cookie. */
export interface IronSessionSource extends LegacySource<IronSessionCookie> {
  read(cookie: IronSessionCookie, now: number): LegacySession | undefined;
  forget(cookie: IronSessionCookie): undefined;
}

const PREFIX = "Fe26.2";
/** iron's timestampSkewSec: a seal stays valid this long past its expiration. */
const SKEW_MS = 60_000;
const DEFAULT_TTL_SECONDS = 14 * 24 * 60 * 60;
const MIN_PASSWORD_LENGTH = 32;
/** iron-session's MAX_CHUNKS: it never writes more, so more are not read. */
const MAX_CHUNKS = 4;
/** Values tried per cookie name: a planted twin cannot hide the real one, nor cost unbounded work. */
const MAX_VALUES = 16;
/** Whole or chunked, a seal iron-session writes fits in 4 cookies of 4096 bytes. */
const MAX_SEAL_LENGTH = MAX_CHUNKS * 4096;

const PASSWORD_ID = /^\w*$/;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
const EXPIRATION = /^(?:[1-9]\d*)?$/;
/** HMAC-SHA256 in unpadded base64url, as iron writes it. */
const DIGEST = /^[A-Za-z0-9_-]{43}$/;

export function ironSession(options: IronSessionSourceOptions): IronSessionSource {
  if (options === null || typeof options !== "object") {
    throw new ConfigError(
      "ironSession(options) needs an options object: { password, cookieName }, the same values your iron-session options have.",
    );
  }
  const passwords = passwordsOf(options.password);
  const name = cookieNameOf(options.cookieName);
  const ttl = ttlOf(options.ttl);
  const deletion = deletionOf(name, options.cookie);
  const chunkNames = Array.from({ length: MAX_CHUNKS }, (_, index) => `${name}.${index}`);
  const cookies: readonly LegacyCookieName[] = Object.freeze(
    [name, ...chunkNames].map((each) => Object.freeze({ name: each, options: deletion })),
  );

  /** The candidate seals, versions stripped: each whole value, then the chunks joined. */
  function candidates(reader: LegacyCookieReader): string[] {
    const found = reader
      .getAll(name)
      .filter((value) => value !== "")
      .slice(0, MAX_VALUES);
    // As iron-session reads them: chunk 0, 1, … up to the first missing one. The HMAC covers
    // the whole seal, so a chunk dropped, reordered or swapped in fails verification.
    let joined = "";
    for (const chunkName of chunkNames) {
      const part = reader.getAll(chunkName)[0];
      if (part === undefined || part === "") break;
      joined += part;
    }
    if (joined !== "") found.push(joined);
    return found.map(stripVersion);
  }

  return {
    keepsRecords: false,
    name: "iron-session",
    cookies,
    find(reader: LegacyCookieReader): LegacyFinding<IronSessionCookie> {
      let rejected: RejectReason | undefined;
      for (const seal of candidates(reader)) {
        const result = unseal(seal, passwords, Date.now());
        if (typeof result !== "string") return { kind: "found", cookie: result };
        rejected ??= result;
      }
      return rejected === undefined ? { kind: "absent" } : { kind: "rejected", reason: rejected };
    },
    read(cookie: IronSessionCookie, now: number): LegacySession | undefined {
      const { data, expiration } = cookie;
      // iron-session's sessions are plain objects; anything else is not a session to move.
      if (data === null || typeof data !== "object" || Array.isArray(data)) return undefined;
      // iron-session gives its cookie a Max-Age of ttl − 60 s (ttl itself when ttl ≤ 60 s), so
      // the browser drops it 60 s before the seal's expiration. A seal without one (ttl 0 when it
      // was sealed) ends as if iron-session had saved it now with the configured ttl.
      const expiresAt =
        expiration !== undefined
          ? expiration - SKEW_MS
          : ttl === 0
            ? undefined
            : now + (ttl > 60 ? ttl - 60 : ttl) * 1000;
      if (expiresAt !== undefined && expiresAt <= now) return undefined;
      return { data: data as Readonly<Record<string, unknown>>, expiresAt };
    },
    forget(): undefined {
      return undefined;
    },
  };
}

/**
 * The seal without its `~<version>` suffix. The suffix is outside the HMAC, so whatever it says
 * is ignored (iron-session 9 does the same); no part of a seal contains `~`.
 */
function stripVersion(value: string): string {
  const tilde = value.indexOf("~");
  return tilde === -1 ? value : value.slice(0, tilde);
}

/** What a seal holds, or why it is refused. Never throws. */
function unseal(
  seal: string,
  passwords: ReadonlyMap<string, string>,
  now: number,
): IronSessionCookie | RejectReason {
  if (seal.length > MAX_SEAL_LENGTH) return "malformed";
  const parts = seal.split("*");
  if (parts.length !== 8) return "malformed";
  const [prefix, id, encryptionSalt, iv, ciphertext, expiration, hmacSalt, hmac] = parts as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  if (
    prefix !== PREFIX ||
    !PASSWORD_ID.test(id) ||
    encryptionSalt === "" ||
    hmacSalt === "" ||
    !BASE64URL.test(iv) ||
    !BASE64URL.test(ciphertext) ||
    !EXPIRATION.test(expiration) ||
    !DIGEST.test(hmac)
  ) {
    return "malformed";
  }
  const expiresAt = expiration === "" ? undefined : Number(expiration);
  if (expiresAt !== undefined && !Number.isSafeInteger(expiresAt)) return "malformed";

  // iron looks an empty id up as "default", which iron-session's integer ids never are.
  const password = passwords.get(id === "" ? "default" : id);
  if (password === undefined) return "bad-signature";
  // The HMAC is checked before anything else is trusted, the expiration included: a forged
  // seal is "bad-signature" whatever it claims. Compared as canonical base64url text, so one
  // seal has one spelling (its key names one session).
  const expected = createHmac("sha256", derive(password, hmacSalt))
    .update(parts.slice(0, 6).join("*"), "utf8")
    .digest("base64url");
  if (!timingSafeEqual(Buffer.from(expected, "latin1"), Buffer.from(hmac, "latin1"))) {
    return "bad-signature";
  }
  if (expiresAt !== undefined && expiresAt <= now - SKEW_MS) return "expired";

  const plaintext = decrypt(derive(password, encryptionSalt), iv, ciphertext);
  if (plaintext === undefined) return "malformed";
  // A session nested deeper than tessera's formats keep could be moved but never written back;
  // one level is left for the record around it.
  if (nestsDeeperThan(plaintext, MAX_NESTING - 1)) return "too-deep";
  let data: unknown;
  try {
    data = JSON.parse(plaintext);
  } catch {
    return "malformed";
  }
  return { key: seal, data, expiration: expiresAt };
}

/** iron's key derivation: PBKDF2-SHA1, one iteration, the salt string's UTF-8 as salt. */
function derive(password: string, salt: string): Buffer {
  return pbkdf2Sync(password, salt, 1, 32, "sha1");
}

/** AES-256-CBC, PKCS#7 padding; undefined when the bytes do not decrypt. */
function decrypt(key: Buffer, ivText: string, ciphertextText: string): string | undefined {
  const iv = Buffer.from(ivText, "base64url");
  const ciphertext = Buffer.from(ciphertextText, "base64url");
  if (iv.length !== 16 || ciphertext.length === 0 || ciphertext.length % 16 !== 0) {
    return undefined;
  }
  try {
    const decipher = createDecipheriv("aes-256-cbc", key, iv);
    // Invalid UTF-8 becomes U+FFFD, as iron's TextDecoder does.
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString("utf8");
  } catch {
    return undefined; // bad padding: only a seal made with the password could get here
  }
}

/** iron-session's `password` as id → password; a string is id "1", as iron-session has it. */
function passwordsOf(password: unknown): ReadonlyMap<string, string> {
  if (typeof password === "string") {
    assertPasswordLength(password, "The password");
    return new Map([["1", password]]);
  }
  if (password === null || typeof password !== "object" || Array.isArray(password)) {
    throw new ConfigError(
      `ironSession({ password }) must be the password your iron-session options have: a string of at least ${MIN_PASSWORD_LENGTH} characters, or a map of id → password such as { 2: newer, 1: older }; got ${password === null ? "null" : Array.isArray(password) ? "an array" : typeof password}.`,
    );
  }
  const entries = Object.entries(password);
  if (entries.length === 0) {
    throw new ConfigError(
      "ironSession({ password }) is an empty map, so no session could verify. Pass the same map your iron-session options have, such as { 1: process.env.SESSION_PASSWORD }.",
    );
  }
  for (const [id, each] of entries) {
    // iron-session's own rule: it seals with the highest numeric id.
    if (!Number.isInteger(Number(id))) {
      throw new ConfigError(
        `ironSession({ password }) has the id ${JSON.stringify(id)}; iron-session's password ids are integers, such as { 2: newer, 1: older }. Pass the map your iron-session options have.`,
      );
    }
    if (typeof each !== "string") {
      throw new ConfigError(
        `ironSession({ password }): the password with id ${JSON.stringify(id)} is ${each === null ? "null" : typeof each}, not a string. Pass the map your iron-session options have.`,
      );
    }
    assertPasswordLength(each, `The password with id ${JSON.stringify(id)}`);
  }
  return new Map(entries);
}

function assertPasswordLength(password: string, subject: string): void {
  if (password.length < MIN_PASSWORD_LENGTH) {
    // The length only: a password, even a wrong one, is never put in a message.
    throw new ConfigError(
      `ironSession({ password }): ${subject} is ${password.length} characters; iron-session requires at least ${MIN_PASSWORD_LENGTH}, so it cannot be one iron-session sealed with. Pass the same password your iron-session options have.`,
    );
  }
}

function cookieNameOf(name: unknown): string {
  if (typeof name !== "string" || name === "") {
    throw new ConfigError(
      `ironSession({ cookieName }) is required (iron-session has no default); got ${typeof name === "string" ? "an empty string" : name === null ? "null" : typeof name}. Pass the cookieName your iron-session options have.`,
    );
  }
  try {
    assertCookieName(name);
  } catch (error) {
    throw new ConfigError(`ironSession({ cookieName }): ${(error as Error).message}`, {
      cause: error,
    });
  }
  return name;
}

function ttlOf(ttl: unknown): number {
  if (ttl === undefined) return DEFAULT_TTL_SECONDS;
  if (typeof ttl !== "number" || !Number.isFinite(ttl) || ttl < 0) {
    throw new ConfigError(
      `ironSession({ ttl }) is ${typeof ttl === "number" ? String(ttl) : typeof ttl}; it is iron-session's ttl: seconds, 0 or more (0 for none). Pass the ttl your iron-session options have, or leave it out for iron-session's default of 14 days.`,
    );
  }
  return ttl;
}

function deletionOf(name: string, cookie: IronSessionSourceOptions["cookie"]): DeletionOptions {
  if (cookie === undefined) return Object.freeze({ path: "/" });
  if (cookie === null || typeof cookie !== "object") {
    throw new ConfigError(
      `ironSession({ cookie }) must be an object such as { path: "/", domain: "example.com" }, the path and domain of your iron-session cookieOptions; got ${cookie === null ? "null" : typeof cookie}.`,
    );
  }
  const { path = "/", domain } = cookie;
  try {
    assertPath(name, path);
    if (domain !== undefined) assertDomain(name, domain);
  } catch (error) {
    throw new ConfigError(`ironSession({ cookie }): ${(error as Error).message}`, {
      cause: error,
    });
  }
  return Object.freeze(domain === undefined ? { path } : { path, domain });
}
