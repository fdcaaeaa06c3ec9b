/**
 * Flask's cookie session (format "flask"): itsdangerous signing (HMAC-SHA1), Flask's tagged
 * JSON, and zlib when it saves two bytes. A server keeps one FlaskSessionCodec (keys derived
 * once); encodeFlaskSession and decodeFlaskSession build one per call, for tools. Every encode
 * runs the deflater (src/codecs/flask/deflate.ts), to decide whether compression pays.
 * FlaskCookieCodec (src/transport/) caches a verified cookie's JSON text, so a re-sent cookie
 * skips the HMAC and the inflate, but not the JSON parse (plain JSON.parse, or Flask's tagged
 * JSON with a reviver when the text might hold a tag, a big integer or an integral float).
 */
import {
  decodeFlaskSession,
  encodeFlaskSession,
  FlaskSessionCodec,
  type FlaskSessionData,
} from "../../src/codecs/flask/index.ts";
import { Keyring } from "../../src/crypto/keyring.ts";
import { FlaskCookieCodec } from "../../src/transport/flask-cookie.ts";
import { type MicroCase, type MicroGroup, SECRET } from "./case.ts";

/** Flask's PERMANENT_SESSION_LIFETIME, 31 days. */
export const MAX_AGE_SECONDS = 31 * 86_400;

export const codec = new FlaskSessionCodec({ secrets: SECRET });
export const transportCodec = new FlaskCookieCodec(new Keyring(SECRET), MAX_AGE_SECONDS * 1_000);

/** A logged-in user and a CSRF token: too small and too random for zlib to pay. */
export const SMALL_SESSION: FlaskSessionData = {
  _permanent: true,
  username: "alice",
  csrf_token: "Xk2vQ9_pL4rT7wZ1bN8mC3jF6hD0sA5q",
};

const CART = Array.from({ length: 24 }, (_, index) => ({
  sku: `SKU-${String(1000 + index * 37)}`,
  name: `Item number ${index} in the cart`,
  qty: (index % 3) + 1,
  cents: 499 + index * 125,
}));

/**
 * A cart of 24 line items and Flask-WTF's CSRF token (40 hex digits): about 2 KB of JSON, which
 * zlib shrinks well. The token has a digit followed by "e" ("1e"), which the tagged-JSON reader's
 * fast-path test once took for a possible float exponent (it sent most real sessions to the
 * reviver); it now skips strings, and this case shows the hex token costs nothing more.
 */
export const LARGE_SESSION: FlaskSessionData = {
  _permanent: true,
  _user_id: "42",
  csrf_token: "2d7f3a9c1e5b8d0f4a6c2e9b7d1f3a5c8e0b2d4f",
  cart: CART,
};

/** The same session with a token that has no digit before an "e": plain JSON.parse reads it. */
export const LARGE_PLAIN_SESSION: FlaskSessionData = {
  ...LARGE_SESSION,
  csrf_token: "Xk2vQ9_pL4rT7wZ1bN8mC3jF6hD0sA5qWy4uRz8o",
};

export const SMALL_COOKIE = codec.encode(SMALL_SESSION);
export const LARGE_COOKIE = codec.encode(LARGE_SESSION);
export const LARGE_PLAIN_COOKIE = codec.encode(LARGE_PLAIN_SESSION);

export const cases = {
  encodeSmall: {
    name: "codec.encode: small, uncompressed",
    fn: () => codec.encode(SMALL_SESSION),
  },
  decodeSmall: {
    name: "codec.decode: small, uncompressed",
    fn: () => codec.decode(SMALL_COOKIE, MAX_AGE_SECONDS),
  },
  encodeSmallOneShot: {
    name: "encodeFlaskSession (one-shot): small",
    fn: () => encodeFlaskSession(SMALL_SESSION, { secrets: SECRET }),
  },
  decodeSmallOneShot: {
    name: "decodeFlaskSession (one-shot): small",
    fn: () => decodeFlaskSession(SMALL_COOKIE, { secrets: SECRET, maxAgeSeconds: MAX_AGE_SECONDS }),
  },
  encodeLarge: {
    name: "codec.encode: ~2 KB, compressed",
    fn: () => codec.encode(LARGE_SESSION),
  },
  decodeLarge: {
    name: "codec.decode: ~2 KB, compressed",
    fn: () => codec.decode(LARGE_COOKIE, MAX_AGE_SECONDS),
  },
  decodeLargeCached: {
    name: "FlaskCookieCodec.decode (cached): ~2 KB, hex token",
    fn: () => transportCodec.decode(LARGE_COOKIE),
  },
  decodeLargePlainCached: {
    name: "FlaskCookieCodec.decode (cached): ~2 KB, plain",
    fn: () => transportCodec.decode(LARGE_PLAIN_COOKIE),
  },
} satisfies Record<string, MicroCase>;

export const groups: readonly MicroGroup[] = [
  {
    name: "flask: small session",
    cases: [
      cases.encodeSmall,
      cases.decodeSmall,
      cases.encodeSmallOneShot,
      cases.decodeSmallOneShot,
    ],
  },
  {
    name: "flask: ~2 KB session",
    cases: [
      cases.encodeLarge,
      cases.decodeLarge,
      cases.decodeLargeCached,
      cases.decodeLargePlainCached,
    ],
  },
];
