import type { Duration } from "../util/duration.ts";

/**
 * How a cookie is sent: the Set-Cookie attributes, with secure defaults.
 *
 * Left out, an option takes its default: `path: "/"`, `httpOnly: true`, `sameSite: "lax"`,
 * `secure` = whether the request came over HTTPS, no `domain` (host-only), and no expiry (a
 * browser-session cookie).
 */
export interface CookieOptions {
  /**
   * How long the browser keeps the cookie: seconds (`3600`) or a duration string (`"7d"`).
   * Sends both Max-Age (RFC 6265 §5.2.2) and an Expires at the same instant, for old clients that
   * only understand Expires. Browsers cap the lifetime at 400 days (rfc6265bis §5.6.1, §5.6.2).
   * `0` expires the cookie at once; give either `maxAge` or `expires`, not both.
   */
  maxAge?: Duration;
  /** When the browser drops the cookie (RFC 6265 §5.2.1). Sends Expires only. */
  expires?: Date;
  /**
   * The URL path prefix the cookie is sent for (RFC 6265 §5.2.4). Default `"/"`: the whole
   * site. Must start with `/`. Deleting the cookie later needs the same path.
   */
  path?: string;
  /**
   * Share the cookie with subdomains of this domain (RFC 6265 §5.2.3), such as `"example.com"`.
   * Default: none, so only the host that set it receives it (the safer choice). Deleting the
   * cookie later needs the same domain.
   */
  domain?: string;
  /**
   * Send the cookie only over HTTPS (RFC 6265 §5.2.5). Default: whether the current request came
   * over HTTPS. Set `true` when TLS ends at a proxy and the app sees plain HTTP.
   */
  secure?: boolean;
  /** Hide the cookie from `document.cookie` (RFC 6265 §5.2.6). Default `true`. */
  httpOnly?: boolean;
  /**
   * When the browser sends the cookie on cross-site requests (rfc6265bis §4.1.2.7).
   * Default `"lax"`. `"none"` requires Secure.
   */
  sameSite?: "strict" | "lax" | "none";
  /**
   * Keep the cookie in a jar partitioned by the top-level site (CHIPS,
   * draft-cutler-httpbis-partitioned-cookies "The Partitioned Attribute"). Requires Secure.
   * Deleting a partitioned cookie needs `partitioned: true` too.
   */
  partitioned?: boolean;
  /** Which cookies the browser evicts first when over its limits (draft-west-cookie-priority §4.1). */
  priority?: "low" | "medium" | "high";
}

/**
 * The attributes that identify a cookie to delete, or that the browser requires on any
 * Set-Cookie for it. A cookie is deleted only by a Set-Cookie with the same name, Path and
 * Domain it was set with (RFC 6265 §5.3 step 11), and, for a partitioned cookie, Partitioned.
 * Passing the same options object given to `set` works: expiry options are ignored here.
 */
export type DeletionOptions = Pick<
  CookieOptions,
  "path" | "domain" | "secure" | "httpOnly" | "sameSite" | "partitioned"
>;

export const DEFAULT_PATH = "/";
export const DEFAULT_HTTP_ONLY = true;
export const DEFAULT_SAME_SITE = "lax" as const;
