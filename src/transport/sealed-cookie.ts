import {
  type OpenedSeal,
  openSealed,
  readPlaintext,
  type SealedSessionData,
  SealKeys,
  sealSession,
} from "../codecs/sealed/index.ts";
import type { Keyring } from "../crypto/keyring.ts";
import type { CookieSession, CookieTimes, DataCookieCodec } from "./data-cookie.ts";

/** How many opened cookies are remembered, and the longest one worth remembering. */
const CACHE_SIZE = 2_048;
const MAX_CACHED_LENGTH = 1_024;

/**
 * tessera's encrypted cookie: AES-256-GCM with keys derived (HKDF) once per secret, the key id
 * in the token for rotation, and the expiry and creation time inside the authenticated payload.
 * The client can read nothing and change nothing.
 */
export class SealedCookieCodec implements DataCookieCodec {
  readonly format = "sealed";
  readonly unmarkedIsPermanent = undefined;
  readonly #keys: SealKeys;
  /**
   * Values that opened, with their plaintext: a browser sends the same cookie until it changes,
   * and decryption is most of a read's cost. Only a value that authenticated gets in; expiry is
   * checked and the JSON parsed afresh on every request.
   */
  readonly #opened = new Map<string, OpenedSeal>();

  constructor(keyring: Keyring) {
    this.#keys = new SealKeys(keyring);
  }

  decode(value: string): CookieSession | undefined {
    const opened = this.#opened.get(value) ?? this.#open(value);
    return opened === undefined ? undefined : readPlaintext(opened, Date.now());
  }

  #open(value: string): OpenedSeal | undefined {
    const opened = openSealed(value, this.#keys);
    if (opened === undefined || value.length > MAX_CACHED_LENGTH) return opened;
    if (this.#opened.size >= CACHE_SIZE) {
      const oldest = this.#opened.keys().next();
      if (!oldest.done) this.#opened.delete(oldest.value);
    }
    this.#opened.set(value, opened);
    return opened;
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
