/**
 * Sealed cookie sessions, as a pure codec: the whole session in the cookie, encrypted and
 * authenticated with AES-256-GCM.
 *
 * Cookie value: `v1.<keyId>.<base64url(iv(12) | ciphertext | tag(16))>`. The plaintext is JSON
 * `{"e":<expiry>,"c":<creation>,"d":<data>}` (Unix seconds; "c" optional), so the times are
 * authenticated with the data; the
 * associated data is `v1.<keyId>`, so neither the version nor the key id can be swapped. Each seal
 * draws a fresh random 96-bit IV. Keys come from {@link SealKeys}: the newest seals, all open, and
 * a cookie opened with an older key comes back `rotated` so the caller re-seals it with the newest.
 */
import { createCipheriv, createDecipheriv } from "node:crypto";
import { MAX_SET_COOKIE_BYTES } from "../../cookies/size.ts";
import { RandomPool } from "../../crypto/random-pool.ts";
import { ArgumentError, CookieError } from "../../errors.ts";
import type { SealKeys } from "./keys.ts";
import { decodePayload, encodePayload, type SealedSessionData } from "./payload.ts";
import { formatBody, IV_BYTES, parseToken, TAG_BYTES, tokenHeader } from "./token.ts";

export { SEAL_HKDF_SALT, SEAL_KEY_ID_INFO, SEAL_KEY_INFO, type SealKey, SealKeys } from "./keys.ts";
export type { JsonValue, SealedSessionData } from "./payload.ts";
export { SEAL_VERSION } from "./token.ts";

/**
 * Where IVs come from: 256 of them per `randomBytes` call, each byte used once, so each seal
 * still has a fresh random 96-bit IV (a `randomBytes` call per seal cost about as much as the
 * encryption).
 */
const IV_POOL = new RandomPool(IV_BYTES * 256);

/** Strict UTF-8 (a leading BOM dropped, as TextDecoder does by default); one call at a time. */
const UTF8 = new TextDecoder("utf-8", { fatal: true });

export interface SealOptions {
  readonly keys: SealKeys;
  /** When the session ends, in milliseconds since the epoch (or a Date); kept as whole seconds, rounded up. */
  readonly expiresAt: number | Date;
  /**
   * When the session began, in milliseconds since the epoch; kept (as whole seconds) so an
   * absolute lifetime can be enforced from the cookie alone.
   */
  readonly createdAt?: number;
  /**
   * The longest cookie value allowed, in bytes. 4096 by default, the whole Set-Cookie limit;
   * the engine passes 4096 minus the bytes its cookie name and attributes take.
   */
  readonly maxLength?: number;
}

export interface UnsealOptions {
  readonly keys: SealKeys;
  /** The clock in milliseconds, `Date.now` by default. */
  readonly now?: () => number;
}

export interface UnsealedSession {
  readonly data: SealedSessionData;
  /** When the session ends, in milliseconds since the epoch (a whole second). */
  readonly expiresAt: number;
  /** When the session began (a whole second), if the sealer recorded it. */
  readonly createdAt: number | undefined;
  /** An older key opened it: re-seal with the newest. */
  readonly rotated: boolean;
}

/**
 * The cookie value holding `data` until `expiresAt`. Throws a SessionValueError for data JSON would not
 * keep, and a CookieError naming both sizes when the value would be longer than `maxLength`.
 */
export function sealSession(data: SealedSessionData, options: SealOptions): string {
  const expiresAtMs =
    options.expiresAt instanceof Date ? options.expiresAt.getTime() : options.expiresAt;
  if (typeof expiresAtMs !== "number" || !Number.isFinite(expiresAtMs)) {
    throw new ArgumentError(
      `sealSession needs expiresAt as a Date or milliseconds since the epoch; got ${String(options.expiresAt)}.`,
    );
  }
  const maxLength = options.maxLength ?? MAX_SET_COOKIE_BYTES;
  if (!Number.isSafeInteger(maxLength) || maxLength < 1) {
    throw new ArgumentError(`sealSession needs maxLength as a positive integer; got ${maxLength}.`);
  }
  const createdAt = options.createdAt;
  if (createdAt !== undefined && (typeof createdAt !== "number" || !Number.isFinite(createdAt))) {
    throw new ArgumentError(
      `sealSession needs createdAt as milliseconds since the epoch; got ${String(createdAt)}.`,
    );
  }
  const plaintext = encodePayload(
    data,
    // Rounded up: a cookie may outlive its expiry by under a second, never fall short of it.
    Math.ceil(expiresAtMs / 1000),
    createdAt === undefined ? undefined : Math.floor(createdAt / 1000),
  );
  const { id, key } = options.keys.newest;
  const iv = IV_POOL.take(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(tokenHeader(id), "ascii"));
  // iv | ciphertext | tag, in one copy (the tag is ready once final() has run).
  const body = Buffer.concat([
    iv,
    cipher.update(plaintext, "utf8"),
    cipher.final(),
    cipher.getAuthTag(),
  ]);
  const token = formatBody(id, body);
  // The token is ASCII, so its length is its size in bytes.
  if (token.length > maxLength) {
    throw new CookieError(
      `The sealed session cookie value would be ${token.length} bytes, over the limit of ${maxLength} bytes (the whole Set-Cookie header must stay within ${MAX_SET_COOKIE_BYTES} bytes, or the browser silently drops it). The session data is ${Buffer.byteLength(plaintext, "utf8")} bytes of JSON; keep less in the session, or keep it server-side with a session store and put only an id in the cookie.`,
    );
  }
  return token;
}

/**
 * The session in a sealed cookie value, or undefined when it is not one that opens now: unknown
 * version or key id, bad base64, wrong length, failed authentication, bad JSON, data that is not
 * an object, or expired. Never throws on bad input.
 */
export function unsealSession(value: string, options: UnsealOptions): UnsealedSession | undefined {
  const opened = openSealed(value, options.keys);
  if (opened === undefined || opened === "malformed") return undefined;
  const read = readPlaintext(opened, (options.now ?? Date.now)());
  return typeof read === "string" ? undefined : read;
}

/** A sealed value decrypted and authenticated: its plaintext, and whether an older key opened it. */
export interface OpenedSeal {
  readonly plaintext: string;
  readonly rotated: boolean;
}

/**
 * The first, costly half of `unsealSession`: decryption and authentication, nothing about time.
 * What it returns depends on the value alone, so a server may cache it by value and call
 * `readPlaintext` on each request. "malformed" when the value is not a sealed token at all,
 * undefined when no key opens it; never throws.
 */
export function openSealed(value: string, keys: SealKeys): OpenedSeal | "malformed" | undefined {
  const token = parseToken(value);
  if (token === undefined) return "malformed";
  const aad = Buffer.from(token.header, "ascii");
  for (const { key, index } of keys.withId(token.keyId)) {
    try {
      const decipher = createDecipheriv("aes-256-gcm", key, token.iv, {
        authTagLength: TAG_BYTES,
      });
      decipher.setAAD(aad);
      decipher.setAuthTag(token.tag);
      const head = decipher.update(token.ciphertext);
      const tail = decipher.final(); // empty for GCM; throws when the tag does not match
      const bytes = tail.length === 0 ? head : Buffer.concat([head, tail]);
      return { plaintext: UTF8.decode(bytes), rotated: index !== 0 };
    } catch {}
  }
  return undefined;
}

/**
 * The session in an opened seal if it is well formed and unexpired at `now`, else why not;
 * never throws.
 */
export function readPlaintext(
  opened: OpenedSeal,
  now: number,
): UnsealedSession | "malformed" | "too-deep" | "expired" {
  const payload = decodePayload(opened.plaintext);
  if (payload === undefined) return "malformed";
  if (payload === "too-deep") return payload;
  const expiresAt = payload.expiresAtSeconds * 1000;
  if (!(now < expiresAt)) return "expired";
  const { createdAtSeconds } = payload;
  return {
    data: payload.data,
    expiresAt,
    createdAt: createdAtSeconds === undefined ? undefined : createdAtSeconds * 1000,
    rotated: opened.rotated,
  };
}
