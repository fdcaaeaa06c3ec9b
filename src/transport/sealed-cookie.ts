import {
  type SealedSessionData,
  SealKeys,
  sealSession,
  unsealSession,
} from "../codecs/sealed/index.ts";
import type { Keyring } from "../crypto/keyring.ts";
import type { CookieSession, CookieTimes, DataCookieCodec } from "./data-cookie.ts";

/**
 * tessera's encrypted cookie: AES-256-GCM with keys derived (HKDF) once per secret, the key id
 * in the token for rotation, and the expiry and creation time inside the authenticated payload.
 * The client can read nothing and change nothing.
 */
export class SealedCookieCodec implements DataCookieCodec {
  readonly format = "sealed";
  readonly unmarkedIsPermanent = undefined;
  readonly #keys: SealKeys;

  constructor(keyring: Keyring) {
    this.#keys = new SealKeys(keyring);
  }

  decode(value: string): CookieSession | undefined {
    return unsealSession(value, { keys: this.#keys });
  }

  encode(data: Readonly<Record<string, unknown>>, times: CookieTimes): string {
    // The size is checked by the cookie layer against the whole Set-Cookie header.
    return sealSession(data as SealedSessionData, {
      keys: this.#keys,
      expiresAt: times.expiresAt,
      createdAt: times.createdAt,
      maxLength: Number.MAX_SAFE_INTEGER,
    });
  }
}
