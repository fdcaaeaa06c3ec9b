import type { ResolvedOptions } from "../engine/options.ts";
import { TesseraError } from "../errors.ts";
import type { Session } from "../session/session.ts";

/**
 * The session cookie as express-session (`req.session.cookie`) and @fastify/session
 * (`request.session.cookie`) show it, over tessera's cookie settings and the session's expiry.
 */
export interface SessionCookieView {
  /** Milliseconds left, or null for a browser-session cookie. Assign null to make it one. */
  maxAge: number | null;
  /** The configured lifetime in milliseconds, or null for a browser-session cookie. */
  readonly originalMaxAge: number | null;
  /** When the cookie expires, or null for a browser-session cookie; false or null makes it one. */
  expires: Date | null | false;
  readonly httpOnly: boolean;
  readonly path: string;
  readonly domain: string | undefined;
  readonly secure: boolean | "auto";
  readonly sameSite: "strict" | "lax" | "none";
  toJSON(): Record<string, unknown>;
}

/** What the view reads: the session, and the manager's cookie settings and lifetime. */
export interface CookieViewSource {
  readonly session: Session<Record<string, unknown>>;
  readonly cookie: ResolvedOptions["cookie"];
  readonly lifetimeMs: number;
}

export function cookieView(source: CookieViewSource): SessionCookieView {
  const { session, cookie, lifetimeMs } = source;
  const expiresAt = () => session.expiresAt?.getTime() ?? Date.now() + lifetimeMs;
  return {
    get maxAge() {
      return session.permanent ? Math.max(0, expiresAt() - Date.now()) : null;
    },
    set maxAge(value: number | null) {
      setCookieLifetime(source, value ?? null);
    },
    get originalMaxAge() {
      return session.permanent ? lifetimeMs : null;
    },
    get expires() {
      return session.permanent ? new Date(expiresAt()) : null;
    },
    set expires(value: Date | null | false) {
      setCookieLifetime(source, value instanceof Date ? value.getTime() - Date.now() : null);
    },
    httpOnly: cookie.httpOnly,
    path: cookie.path,
    domain: cookie.domain,
    secure: cookie.secure,
    sameSite: cookie.sameSite,
    toJSON() {
      return {
        originalMaxAge: this.originalMaxAge,
        expires: this.expires,
        secure: this.secure,
        httpOnly: this.httpOnly,
        domain: this.domain,
        path: this.path,
        sameSite: this.sameSite,
      };
    },
  };
}

/** `session.cookie = other` (Passport's keepSessionInfo copies it): keep its permanence. */
export function assignCookieView(source: CookieViewSource, value: unknown): void {
  if (typeof value !== "object" || value === null) return;
  const maxAge = (value as { originalMaxAge?: unknown }).originalMaxAge;
  if (maxAge === null) setCookieLifetime(source, null);
  else if (typeof maxAge === "number") setCookieLifetime(source, source.lifetimeMs);
}

/**
 * A browser-session cookie (null), or a permanent one. Every session lives for the configured
 * lifetime, so a permanent cookie of another length is refused rather than silently ignored.
 */
function setCookieLifetime(source: CookieViewSource, maxAgeMs: number | null): void {
  const { session, lifetimeMs } = source;
  if (maxAgeMs === null) {
    session.permanent = false;
    return;
  }
  // A cookie's age is counted in seconds; anything within a minute of the lifetime is it.
  if (Math.abs(maxAgeMs - lifetimeMs) > 60_000) {
    throw new TesseraError(
      "TESSERA_UNSUPPORTED",
      `session.cookie.maxAge = ${maxAgeMs}: every tessera session lives for the configured lifetime (${lifetimeMs} ms here), so one session cannot be given another. Set \`lifetime\` in createSessions to the longest you need; assign null (or cookie.expires = false) for a cookie that ends with the browser, and a number for a permanent one.`,
    );
  }
  session.permanent = true;
}
