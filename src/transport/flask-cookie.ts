import {
  FlaskSessionCodec,
  type FlaskSessionData,
  type OpenedText,
} from "../codecs/flask/index.ts";
import type { Keyring } from "../crypto/keyring.ts";
import type { CookieSession, DataCookieCodec } from "./data-cookie.ts";

/** How many verified cookies are remembered, and the longest one worth remembering. */
const CACHE_SIZE = 2_048;
const MAX_CACHED_LENGTH = 1_024;

/**
 * Flask's own session cookie (`SecureCookieSessionInterface`), byte for byte: a Flask app with
 * the same `secret_key` reads what tessera writes, and tessera reads what Flask writes.
 *
 * Flask checks a cookie's age against `PERMANENT_SESSION_LIFETIME` from the second it was
 * signed, permanent or not; tessera's `lifetime` is that setting. The cookie records when it
 * was signed, not when the session began, so an absolute lifetime cannot be enforced with it.
 */
export class FlaskCookieCodec implements DataCookieCodec {
  readonly format = "flask";
  readonly unmarkedIsPermanent = false;
  readonly #codec: FlaskSessionCodec;
  readonly #maxAgeSeconds: number;
  /**
   * Cookie values whose signature verified, with their JSON text. A browser sends the same
   * cookie until it is changed, and checking the HMAC and inflating the payload cost more than
   * everything else a read does; only a value that passed the check gets in, so a hit proves
   * what the check proved. The age is checked and the JSON parsed afresh on every request (each
   * request gets its own objects).
   */
  readonly #opened = new Map<string, OpenedText>();

  constructor(keyring: Keyring, lifetimeMs: number) {
    this.#codec = new FlaskSessionCodec({ secrets: keyring.secrets });
    // Flask: int(PERMANENT_SESSION_LIFETIME.total_seconds()).
    this.#maxAgeSeconds = Math.floor(lifetimeMs / 1_000);
  }

  decode(value: string): CookieSession | undefined {
    const opened = this.#opened.get(value) ?? this.#open(value);
    if (opened === undefined) return undefined;
    // itsdangerous: `age > max_age` or `age < 0` (signed in the future) is refused.
    const age = Math.floor(Date.now() / 1_000) - opened.timestamp;
    if (age > this.#maxAgeSeconds || age < 0) return undefined;
    const data = this.#codec.parse(opened);
    if (data === undefined) return undefined;
    return {
      data,
      createdAt: undefined,
      // itsdangerous accepts an age of exactly max_age seconds, and refuses one more.
      expiresAt: (opened.timestamp + this.#maxAgeSeconds + 1) * 1_000,
      rotated: opened.rotated,
    };
  }

  #open(value: string): OpenedText | undefined {
    const opened = this.#codec.open(value);
    if (opened === undefined || value.length > MAX_CACHED_LENGTH) return opened;
    if (this.#opened.size >= CACHE_SIZE) {
      const oldest = this.#opened.keys().next();
      if (!oldest.done) this.#opened.delete(oldest.value);
    }
    this.#opened.set(value, opened);
    return opened;
  }

  encode(data: Readonly<Record<string, unknown>>): string {
    return this.#codec.encode(data as FlaskSessionData);
  }
}
