import type { Cookies, CookieWriter } from "../cookies/jar.ts";
import type { SessionState } from "../session/session.ts";

/** What a flow knows of the request it serves. */
export interface FlowRequest {
  readonly cookies: Cookies;
  readonly requestIsSecure: boolean;
}

/**
 * How sessions travel and persist: by an id cookie with the data in a store, or whole inside
 * the cookie. RequestScope drives one of these per request; everything that differs between
 * the two lives behind this interface, everything they share (laziness, sealing, headers) stays
 * in the scope.
 */
export interface SessionFlow {
  /**
   * The session the request's cookies lead to, or a new empty one: at once when that needs no
   * I/O (cookie sessions, or no session cookie at all), so the scope skips a round of promise
   * callbacks.
   */
  load(request: FlowRequest): SessionState | Promise<SessionState>;
  /**
   * The session as it is kept now, for `state`'s baseline (its stored record, or the request's
   * cookie), with the request's changes dropped; a new empty session when it is gone.
   */
  reload(state: SessionState, request: FlowRequest): Promise<SessionState>;
  /**
   * Persists what the request changed and queues the session cookie on `writer`; undefined when
   * nothing asynchronous is needed (the common read-only request).
   */
  save(
    state: SessionState,
    request: FlowRequest,
    writer: CookieWriter,
    now: number,
  ): Promise<void> | undefined;
  /** Releases the flow's resources (the store's connections and timers). */
  close(): Promise<void>;
}

/**
 * Whether a session without a live original (new, or destroyed and begun again) has something
 * to keep: a flash shown in the same request or a key set and deleted again leaves nothing
 * worth a record and a cookie.
 */
export function holdsNewData(state: SessionState): boolean {
  return !state.unchanged && state.data.size > 0;
}
