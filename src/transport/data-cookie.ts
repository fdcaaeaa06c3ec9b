import type { RejectReason } from "../diagnostics.ts";
import type { SessionData } from "../stores/contract.ts";

/** A session read from a cookie that carries the whole session. */
export interface CookieSession {
  readonly data: SessionData;
  /** When the session began; undefined when the format does not record it (Flask's). */
  readonly createdAt: number | undefined;
  /** When the cookie stops being accepted, in milliseconds since the epoch. */
  readonly expiresAt: number;
  /** When it was signed, for a format that records it (Flask's timestamp). */
  readonly issuedAt?: number;
  /** An older secret signed or sealed it: send it again with the newest. */
  readonly rotated: boolean;
}

/** When a session being written began and ends, for the formats that carry either. */
export interface CookieTimes {
  readonly createdAt: number;
  readonly expiresAt: number;
  /** When it is signed: now, or the original time when only re-signing with a newer key. */
  readonly issuedAt: number;
}

/**
 * A whole-session cookie format ("flask" or "sealed"), with its keys derived once. Decoding never
 * throws: anything forged, damaged, expired or malformed comes back as the reason it was refused,
 * and the request gets an empty session.
 */
export interface DataCookieCodec {
  readonly format: "flask" | "sealed";
  /**
   * Whether a loaded session that holds no `_permanent` flag is permanent; undefined means the
   * configured default. Flask reads a missing flag as "not permanent".
   */
  readonly unmarkedIsPermanent: boolean | undefined;
  /**
   * Whether a cookie of this name that does not decode is cleared. Not for Flask's: an app
   * sharing the cookie may read what tessera cannot, and Flask itself leaves such a cookie.
   */
  readonly clearsUnreadable: boolean;
  decode(value: string): CookieSession | RejectReason;
  /**
   * The cookie value for `data`. Throws a SessionValueError naming the place of a value the format
   * cannot hold.
   */
  encode(data: SessionData, times: CookieTimes): string;
}
