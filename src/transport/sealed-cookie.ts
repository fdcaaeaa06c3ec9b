import {
  type OpenedSeal,
  openSealed,
  readPlaintext,
  type SealedSessionData,
  SealKeys,
  sealSession,
} from "../codecs/sealed/index.ts";
import type { Keyring } from "../crypto/keyring.ts";
import type { RejectReason } from "../diagnostics.ts";
import type { CookieSession, CookieTimes, DataCookieCodec } from "./data-cookie.ts";
import { VerifiedCache } from "./verified-cache.ts";

/**
 * tessera's encrypted cookie: AES-256-GCM with keys derived (HKDF) once per secret, the key id
 * in the token for rotation, and the expiry and creation time inside the authenticated payload.
 * The client can read nothing and change nothing.
 */
export class SealedCookieCodec implements DataCookieCodec {
  readonly format = "sealed";
  readonly unmarkedIsPermanent = undefined;
  readonly clearsUnreadable = true;
  readonly #keys: SealKeys;
  /** Opened cookies and their plaintext; expiry is checked and the JSON parsed per request. */
  readonly #opened = new VerifiedCache<OpenedSeal>();

  constructor(keyring: Keyring) {
    this.#keys = new SealKeys(keyring);
  }

  decode(value: string): CookieSession | RejectReason {
    const opened = this.#opened.get(value) ?? this.#open(value);
    if (opened === undefined) return "bad-signature";
    if (opened === "malformed") return opened;
    return readPlaintext(opened, Date.now());
  }

  #open(value: string): OpenedSeal | "malformed" | undefined {
    const opened = openSealed(value, this.#keys);
    if (typeof opened === "object") this.#opened.remember(value, opened);
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
