import type { ResolvedOptions } from "../../engine/options.ts";
import { TesseraError } from "../../errors.ts";
import {
  assignCookieView,
  type CookieViewSource,
  cookieView,
  type SessionCookieView,
} from "../cookie-view.ts";
import { detach, ownerOf, type SessionObjectHost, sessionObject } from "../session-object.ts";

type Callback = (error?: unknown) => void;

/** Where an Express request keeps its current session object (regenerate replaces it). */
export interface SessionSlot {
  /** The object `req.session` shows, made on first use; undefined after destroy(). */
  current: ExpressSession | undefined;
  /** destroy() was called: `req.session` stays undefined, as with express-session. */
  destroyed: boolean;
  readonly host: SessionObjectHost;
  readonly cookie: ResolvedOptions["cookie"];
  readonly lifetimeMs: number;
}

/**
 * express-session's `req.session`: the data as properties, and its methods, which are not
 * enumerable. What express-session does at once in the store happens here when the response
 * starts (one write for the whole request, before the response is sent), except `save()`,
 * which writes now, and `reload()`, which reads now; callbacks run once the change is made.
 */
export interface ExpressSessionMethods {
  /** The session id (not enumerable). */
  readonly id: string;
  /**
   * Starts a new, empty session under a new id; the old one is removed. The request's
   * `req.session` is a new object afterwards (the old one keeps what it held).
   */
  regenerate(callback?: Callback): this;
  /** Ends the session: the record and the cookie go; `req.session` is undefined afterwards. */
  destroy(callback?: Callback): this;
  /** Reads the session again from the store, dropping this request's changes. */
  reload(callback?: Callback): this;
  /** Writes the session now (the commit before the response then writes only later changes). */
  save(callback?: Callback): this;
  /** Moves the session's expiry when the response is sent, even within `touchAfter`. */
  touch(): this;
  resetMaxAge(): this;
}

export type ExpressSession = ExpressSessionMethods & { cookie: SessionCookieView };

function slotOf(session: object): SessionSlot {
  const slot = ownerOf<SessionSlot>(session);
  if (slot === undefined) {
    throw new TesseraError(
      "TESSERA_SESSION_GONE",
      "This session object was replaced by regenerate() or ended by destroy(); use req.session.",
    );
  }
  return slot;
}

/** Calls back on a later tick, as express-session's store calls do. */
function later(callback: Callback | undefined, error?: unknown): void {
  if (callback !== undefined) process.nextTick(() => callback(error));
}

function retire(session: object, slot: SessionSlot): void {
  detach(session);
  slot.current = undefined;
}

/** The methods of `req.session`, on its prototype so that they are not enumerable. */
class ExpressSessionPrototype {
  get id(): string {
    return slotOf(this).host.session.id;
  }

  regenerate(callback?: Callback): this {
    const slot = slotOf(this);
    // This object keeps what it held (Passport's keepSessionInfo copies from it).
    retire(this, slot);
    // A new id; express-session's regenerated session starts empty. tessera moves the record
    // and empties it in one atomic store call when the response starts.
    slot.host.session.regenerate().clear();
    makeExpressSession(slot);
    later(callback);
    return this;
  }

  destroy(callback?: Callback): this {
    const slot = slotOf(this);
    retire(this, slot);
    slot.host.session.destroy();
    slot.destroyed = true;
    later(callback);
    return this;
  }

  reload(callback?: Callback): this {
    slotOf(this)
      .host.scope.reload()
      .then(
        (found) =>
          later(
            callback,
            found
              ? undefined
              : new TesseraError(
                  "TESSERA_SESSION_GONE",
                  "failed to load session: it was never stored, or it expired or was destroyed meanwhile.",
                ),
          ),
        (error: unknown) => later(callback, error),
      );
    return this;
  }

  save(callback?: Callback): this {
    slotOf(this)
      .host.scope.save()
      .then(
        () => later(callback),
        (error: unknown) => later(callback, error),
      );
    return this;
  }

  touch(): this {
    slotOf(this).host.session.touch();
    return this;
  }

  resetMaxAge(): this {
    return this.touch();
  }

  /** console.log(req.session) shows the data, not the proxy's empty target. */
  [Symbol.for("nodejs.util.inspect.custom")](): object {
    return { ...this };
  }
}

/** Makes the request's session object and remembers it in `slot` as the current one. */
export function makeExpressSession(slot: SessionSlot): ExpressSession {
  const session = sessionObject(
    ExpressSessionPrototype.prototype,
    slot.host,
    {
      cookie: {
        get: () => cookieView(cookieSource(slot)),
        set: (value) => assignCookieView(cookieSource(slot), value),
      },
    },
    slot,
  ) as unknown as ExpressSession;
  slot.current = session;
  return session;
}

function cookieSource(slot: SessionSlot): CookieViewSource {
  return { session: slot.host.session, cookie: slot.cookie, lifetimeMs: slot.lifetimeMs };
}
