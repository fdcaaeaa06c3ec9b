import {
  FlaskSessionCodec,
  type FlaskSessionData,
  type OpenedText,
} from "../codecs/flask/index.ts";
import type { Keyring } from "../crypto/keyring.ts";
import type { RejectReason } from "../diagnostics.ts";
import type { CookieSession, CookieTimes, DataCookieCodec } from "./data-cookie.ts";
import { VerifiedCache } from "./verified-cache.ts";

/**
 * The shape of itsdangerous's timed token: an optional "." (compressed), then base64url payload,
 * timestamp and signature. A value of this shape that does not verify was forged or tampered
 * with; any other value is malformed (for the event that reports it).
 */
const FLASK_COOKIE = /^\.?[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** How far ahead another server's clock may be when it signs a cookie. */
const CLOCK_SKEW_SECONDS = 5;

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
  readonly clearsUnreadable = false;
  readonly #codec: FlaskSessionCodec;
  readonly #maxAgeSeconds: number;
  /** Verified cookies and their JSON text; the age is checked and the JSON parsed per request. */
  readonly #opened = new VerifiedCache<OpenedText>();

  constructor(keyring: Keyring, lifetimeMs: number) {
    this.#codec = new FlaskSessionCodec({ secrets: keyring.secrets });
    // Flask: int(PERMANENT_SESSION_LIFETIME.total_seconds()).
    this.#maxAgeSeconds = Math.floor(lifetimeMs / 1_000);
  }

  decode(value: string): CookieSession | RejectReason {
    const opened = this.#opened.get(value) ?? this.#open(value);
    if (opened === undefined) return FLASK_COOKIE.test(value) ? "bad-signature" : "malformed";
    if (opened.tooDeep) return "too-deep";
    // itsdangerous refuses `age > max_age`, and `age < 0` (signed in the future); a few seconds
    // of the latter are forgiven, for the other app's server whose clock runs a little ahead.
    const age = Math.floor(Date.now() / 1_000) - opened.timestamp;
    if (age > this.#maxAgeSeconds || age < -CLOCK_SKEW_SECONDS) return "expired";
    const data = this.#codec.parse(opened);
    if (data === undefined) return "malformed";
    return {
      data,
      createdAt: undefined,
      // itsdangerous accepts an age of exactly max_age seconds, and refuses one more.
      expiresAt: (opened.timestamp + this.#maxAgeSeconds + 1) * 1_000,
      issuedAt: opened.timestamp * 1_000,
      rotated: opened.rotated,
    };
  }

  #open(value: string): OpenedText | undefined {
    const opened = this.#codec.open(value);
    if (opened !== undefined) this.#opened.remember(value, opened);
    return opened;
  }

  encode(data: Readonly<Record<string, unknown>>, times: CookieTimes): string {
    return this.#codec.encode(data as FlaskSessionData, Math.floor(times.issuedAt / 1_000));
  }
}
