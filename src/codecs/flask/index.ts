/**
 * Flask's cookie session format (`SecureCookieSessionInterface`), as a pure codec: the cookie a
 * Flask 2.x app sets is read here, and the cookie written here is read by Flask. The cookie is
 * byte-identical to the one Flask would write for the same data at the same second, compressed
 * or not: deflate.ts compresses as Python's `zlib.compress` does (zlib 1.2.13, level 6), so the
 * two sides also agree on when compression pays, and a session that fits Flask's cookie fits
 * tessera's.
 *
 * Flask's settings: itsdangerous `URLSafeTimedSerializer`, salt `cookie-session`, key derivation
 * `hmac`, digest SHA-1, Flask's tagged JSON. `session.permanent` is the `_permanent` key inside
 * the data, as in Flask; the max age to check is Flask's `PERMANENT_SESSION_LIFETIME` in seconds
 * (Flask checks it for every session cookie, permanent or not).
 */
import type { Secret } from "../../crypto/secret.ts";
import { type OpenedText, URLSafeTimedSerializer } from "./serializer.ts";
import { type FlaskValue, parseTagged } from "./tagged-json.ts";

export type { OpenedText } from "./serializer.ts";

export { FlaskFloat, FlaskTuple, FlaskUUID, type FlaskValue, Markup } from "./tagged-json.ts";

export type FlaskSessionData = { readonly [key: string]: FlaskValue };

export interface FlaskCodecOptions {
  /**
   * One secret, or a list newest first: the newest signs, all verify. Flask 2.3+'s
   * `[SECRET_KEY, *reversed(SECRET_KEY_FALLBACKS)]`; with Flask 2.2, just `SECRET_KEY`.
   */
  readonly secrets: Secret | readonly Secret[];
  /** The clock in milliseconds, `Date.now` by default; the cookie holds whole seconds. */
  readonly now?: () => number;
}

export interface DecodeFlaskSessionOptions extends FlaskCodecOptions {
  /** `PERMANENT_SESSION_LIFETIME` in seconds: older cookies (or ones from the future) fail. */
  readonly maxAgeSeconds: number;
}

export interface DecodedFlaskSession {
  readonly data: FlaskSessionData;
  /** When the cookie was signed, Unix seconds. */
  readonly timestamp: number;
  /** An older secret verified it: re-issue with the newest. */
  readonly rotated: boolean;
}

export const FLASK_SALT = "cookie-session";

/**
 * Flask's session serializer, with its keys derived once: what a server keeps for its lifetime
 * (the functions below build one per call, for tools and tests).
 */
export class FlaskSessionCodec {
  readonly #serializer: URLSafeTimedSerializer;

  constructor(options: FlaskCodecOptions) {
    this.#serializer = new URLSafeTimedSerializer({
      secrets: options.secrets,
      salt: FLASK_SALT,
      keyDerivation: "hmac",
      digest: "sha1",
      ...(options.now === undefined ? {} : { now: options.now }),
    });
  }

  /**
   * The cookie value Flask's `save_session` would set, signed now or at `timestamp` (Unix
   * seconds). Throws a SessionValueError on unstorable data.
   */
  encode(data: FlaskSessionData, timestamp?: number): string {
    return this.#serializer.dumps(data, timestamp);
  }

  /** The session in a Flask cookie no older than `maxAgeSeconds`, or undefined; never throws. */
  decode(cookie: string, maxAgeSeconds: number): DecodedFlaskSession | undefined {
    const loaded = this.#serializer.loads(cookie, maxAgeSeconds);
    if (loaded === undefined || !isSessionDict(loaded.value)) return undefined;
    return { data: loaded.value, timestamp: loaded.timestamp, rotated: loaded.rotated };
  }

  /**
   * The first, costly half of `decode`: the signature checked (against every key) and the
   * payload inflated to its JSON text, with no age check. What it returns depends on the cookie
   * value alone, so a server may cache it by value and call `parse` for each request.
   */
  open(cookie: string): OpenedText | undefined {
    return this.#serializer.openText(cookie);
  }

  /** The session dict in what `open` returned, or undefined; never throws. */
  parse(opened: OpenedText): FlaskSessionData | undefined {
    if (opened.tooDeep) return undefined;
    let value: FlaskValue;
    try {
      value = opened.plain ? (JSON.parse(opened.text) as FlaskValue) : parseTagged(opened.text);
    } catch {
      return undefined;
    }
    return isSessionDict(value) ? value : undefined;
  }
}

/** Flask's session is a dict; a cookie holding anything else is not a session. */
function isSessionDict(value: FlaskValue): value is FlaskSessionData {
  return (
    value !== null && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype
  );
}

/** The cookie value Flask's `save_session` would set. Throws a SessionValueError on unstorable data. */
export function encodeFlaskSession(data: FlaskSessionData, options: FlaskCodecOptions): string {
  return new FlaskSessionCodec(options).encode(data);
}

/** The session in a Flask cookie, or undefined when it is not valid for any reason. */
export function decodeFlaskSession(
  cookie: string,
  options: DecodeFlaskSessionOptions,
): DecodedFlaskSession | undefined {
  return new FlaskSessionCodec(options).decode(cookie, options.maxAgeSeconds);
}
