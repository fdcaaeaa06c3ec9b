import type { CookieWriter } from "../cookies/jar.ts";
import { MAX_SET_COOKIE_BYTES } from "../cookies/size.ts";
import { reportRejectedCookie } from "../diagnostics.ts";
import { CookieError } from "../errors.ts";
import { PERMANENT_KEY, SessionState } from "../session/session.ts";
import type { CookieSession, DataCookieCodec } from "../transport/data-cookie.ts";
import { SessionCookie } from "../transport/session-cookie.ts";
import { publishCommit, publishDestroy, publishLoad, publishTouch } from "./events.ts";
import { expiryFrom, isAlive } from "./lifetime.ts";
import type { ResolvedOptions } from "./options.ts";
import { type FlowRequest, holdsNewData, type SessionFlow } from "./session-flow.ts";

/**
 * Cookie sessions: the whole session travels in the cookie (Flask's format, or sealed), so there
 * is no store, no id and no round trip. The cookie is written when the session changed, when an
 * older secret signed it, and for rolling expiry at most once per `touchAfter`; an emptied or
 * destroyed session clears it.
 */
export class CookieSessions implements SessionFlow {
  readonly #options: ResolvedOptions;
  readonly #codec: DataCookieCodec;
  readonly #cookie: SessionCookie;

  constructor(options: ResolvedOptions, codec: DataCookieCodec) {
    this.#options = options;
    this.#codec = codec;
    this.#cookie = new SessionCookie(options.cookie);
  }

  /** The session as the request's cookie carries it (the request's changes dropped). */
  async reload(_state: SessionState, request: FlowRequest): Promise<SessionState> {
    return this.load(request);
  }

  /** The session in the request's cookie, synchronously (there is nothing to wait for). */
  load(request: FlowRequest): SessionState {
    const found = this.#find(request);
    publishLoad(this.#codec.format, found !== undefined, undefined);
    const defaultPermanent =
      found === undefined
        ? this.#options.permanent
        : (this.#codec.unmarkedIsPermanent ?? this.#options.permanent);
    return new SessionState(found, {
      defaultPermanent,
      newSessionPermanent: this.#options.permanent,
      idless: true,
      cookieRotated: found?.rotated ?? false,
      keepsBigInts: this.#codec.format === "flask",
    });
  }

  /**
   * The first cookie of the session's name that opens and is alive. Several arrive when a
   * sibling subdomain planted one of the same name; a planted dead one must not push the user
   * out of their session.
   */
  #find(request: FlowRequest): CookieSession | undefined {
    const values = this.#cookie.values(request.cookies);
    if (values.length === 0) return undefined;
    const now = Date.now();
    for (const value of values) {
      const session = this.#codec.decode(value);
      if (typeof session === "string") {
        reportRejectedCookie(this.#codec.format, this.#cookie.name, session);
        continue;
      }
      // Flask's cookie does not record its creation (an absolute lifetime is refused at startup
      // with that format); a sealed one without it (sealed elsewhere by sealSession) cannot be
      // held to an absolute lifetime, so it is not accepted when one is configured.
      if (session.createdAt === undefined && this.#options.absoluteLifetimeMs !== undefined) {
        reportRejectedCookie(this.#codec.format, this.#cookie.name, "expired");
        continue;
      }
      const createdAt = session.createdAt ?? now;
      if (isAlive({ createdAt, expiresAt: session.expiresAt }, now, this.#options)) return session;
      reportRejectedCookie(this.#codec.format, this.#cookie.name, "expired");
    }
    return undefined;
  }

  save(
    state: SessionState,
    request: FlowRequest,
    writer: CookieWriter,
    now: number,
  ): Promise<void> | undefined {
    const secure = request.requestIsSecure;
    if (!state.loaded || state.fate === "destroy") {
      if (state.loaded) publishDestroy(this.#codec.format, undefined, "destroy");
      if (holdsNewData(state)) {
        this.#write(state, writer, secure, now, now, expiryFrom(now, now, this.#options));
        publishCommit(this.#codec.format, "create", undefined);
      } else if (
        state.loaded ||
        (this.#codec.clearsUnreadable && this.#cookie.present(request.cookies))
      ) {
        // Destroyed; or a sealed cookie that opened to nothing (forged, expired, from another
        // secret), dropped so the browser stops sending it. A Flask cookie tessera could not
        // read stays: the Flask app sharing it may read it (a tag of its own, a clock ahead).
        this.#cookie.clear(writer, secure);
        state.ended();
      }
      return undefined;
    }
    if (state.data.size === 0) {
      // Emptied (`clear()`, or every key deleted): as Flask, no cookie rather than an empty one.
      this.#cookie.clear(writer, secure);
      publishDestroy(this.#codec.format, undefined, "emptied");
      state.ended();
      return undefined;
    }
    const createdAt = state.loadedCreatedAt ?? now;
    const expiresAt = expiryFrom(now, createdAt, this.#options);
    const loadedExpiresAt = state.loadedExpiresAt ?? 0;
    if (!state.unchanged || state.fate === "rename" || state.touchRequested) {
      this.#write(state, writer, secure, now, createdAt, expiresAt);
      publishCommit(this.#codec.format, "update", undefined);
    } else if (this.#options.rolling && expiresAt - loadedExpiresAt >= this.#options.touchAfterMs) {
      this.#write(state, writer, secure, now, createdAt, expiresAt);
      publishTouch(this.#codec.format, undefined, expiresAt);
    } else if (state.cookieRotated) {
      // Re-signed with the newest secret, keeping the expiry (and the signing time) it had: a
      // rotation must not give an old cookie a new lifetime.
      this.#write(state, writer, secure, now, createdAt, loadedExpiresAt, state.loadedIssuedAt);
    }
    return undefined;
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  #write(
    state: SessionState,
    writer: CookieWriter,
    secure: boolean,
    now: number,
    createdAt: number,
    expiresAt: number,
    issuedAt = now,
  ): void {
    const data: Record<string, unknown> = Object.fromEntries(state.data);
    // A format that reads a missing flag as "not permanent" (Flask's) must carry it, so the
    // other app sees the session as permanent too.
    if (state.permanent && this.#codec.unmarkedIsPermanent === false) data[PERMANENT_KEY] = true;
    const value = this.#codec.encode(data, { createdAt, expiresAt, issuedAt });
    const maxAge = state.permanent ? Math.max(0, Math.floor((expiresAt - now) / 1_000)) : undefined;
    if (value.length > this.#cookie.maxValueBytes(maxAge, secure)) {
      throw this.#tooBig(data, value, maxAge, secure);
    }
    this.#cookie.write(writer, value, maxAge, secure);
    state.saved(undefined, createdAt, expiresAt, issuedAt);
  }

  /** The error for a session too big for its cookie: the sizes, and what takes the room. */
  #tooBig(
    data: Record<string, unknown>,
    value: string,
    maxAge: number | undefined,
    secure: boolean,
  ): CookieError {
    const limit = this.#cookie.maxValueBytes(maxAge, secure);
    const headerBytes = value.length + (MAX_SET_COOKIE_BYTES - limit);
    const biggest = Object.entries(data)
      .map(([key, item]) => [key, jsonBytes(item)] as const)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 3)
      .map(([key, bytes]) => `${JSON.stringify(key)} (${bytes} bytes as JSON)`)
      .join(", ");
    return new CookieError(
      `The session cookie (format "${this.#codec.format}") would make a Set-Cookie header of ${headerBytes} bytes, over the ${MAX_SET_COOKIE_BYTES}-byte limit browsers enforce: the browser would silently drop it and the session with it. Its value alone is ${value.length} bytes; the biggest keys are ${biggest}. Keep less in the session, or keep the session server-side with a store (format "id", or "flask-session" to share it with Flask-Session).`,
    );
  }
}

function jsonBytes(value: unknown): number {
  try {
    return Buffer.byteLength(JSON.stringify(value) ?? "", "utf8");
  } catch {
    return 0;
  }
}
