import { FlaskSessionCodec, type FlaskSessionData } from "../codecs/flask/index.ts";
import type { Keyring } from "../crypto/keyring.ts";
import type { CookieSession, DataCookieCodec } from "./data-cookie.ts";

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

  constructor(keyring: Keyring, lifetimeMs: number) {
    this.#codec = new FlaskSessionCodec({ secrets: keyring.secrets });
    // Flask: int(PERMANENT_SESSION_LIFETIME.total_seconds()).
    this.#maxAgeSeconds = Math.floor(lifetimeMs / 1_000);
  }

  decode(value: string): CookieSession | undefined {
    const decoded = this.#codec.decode(value, this.#maxAgeSeconds);
    if (decoded === undefined) return undefined;
    return {
      data: decoded.data,
      createdAt: undefined,
      // itsdangerous accepts an age of exactly max_age seconds, and refuses one more.
      expiresAt: (decoded.timestamp + this.#maxAgeSeconds + 1) * 1_000,
      rotated: decoded.rotated,
    };
  }

  encode(data: Readonly<Record<string, unknown>>): string {
    return this.#codec.encode(data as FlaskSessionData);
  }
}
