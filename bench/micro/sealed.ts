/**
 * The sealed cookie codec (format "sealed"): AES-256-GCM over the session's JSON, with HKDF keys
 * derived once (SealKeys). sealSession runs on every write, unsealSession on every read of a
 * cookie not seen before; SealedCookieCodec (src/transport/) caches what a cookie decrypted to,
 * so a browser re-sending the same cookie costs a lookup, an expiry check and a JSON.parse.
 */
import {
  type SealedSessionData,
  SealKeys,
  sealSession,
  unsealSession,
} from "../../src/codecs/sealed/index.ts";
import { Keyring } from "../../src/crypto/keyring.ts";
import { SealedCookieCodec } from "../../src/transport/sealed-cookie.ts";
import { type MicroCase, type MicroGroup, SECRET } from "./case.ts";

export const keys = new SealKeys(SECRET);
export const transportCodec = new SealedCookieCodec(new Keyring(SECRET));

/** A logged-in user with a small cart and a CSRF token. */
export const SMALL_SESSION: SealedSessionData = {
  username: "alice",
  cart: ["sku-1042", "sku-2291", "sku-0007"],
  csrf: "9f86d081884c7d659a2feaa0c55ad015",
};

const THIRTY_ONE_DAYS_MS = 31 * 86_400_000;
export const CREATED_AT = Date.now();
export const EXPIRES_AT = CREATED_AT + THIRTY_ONE_DAYS_MS;
export const SEALED = sealSession(SMALL_SESSION, {
  keys,
  expiresAt: EXPIRES_AT,
  createdAt: CREATED_AT,
});

export const cases = {
  seal: {
    name: "sealSession: small session",
    fn: () => sealSession(SMALL_SESSION, { keys, expiresAt: EXPIRES_AT, createdAt: CREATED_AT }),
  },
  unseal: {
    name: "unsealSession: small session",
    fn: () => unsealSession(SEALED, { keys }),
  },
  unsealCached: {
    name: "SealedCookieCodec.decode (cached)",
    fn: () => transportCodec.decode(SEALED),
  },
} satisfies Record<string, MicroCase>;

export const groups: readonly MicroGroup[] = [
  { name: "sealed: seal / unseal", cases: Object.values(cases) },
];
