import type { ResolvedOptions } from "../../engine/options.ts";
import { TesseraError } from "../../errors.ts";
import { assignCookieView, type CookieViewSource, cookieView } from "../cookie-view.ts";
import { detach, ownerOf, type SessionObjectHost, sessionObject } from "../session-object.ts";

type Callback = (error?: unknown) => void;

/** Where a Fastify request keeps its current session object (regenerate replaces it). */
export interface FastifySessionSlot {
  /** `request.session`: undefined until first made, null after destroy() (as @fastify/session). */
  current: FastifySessionMethods | null | undefined;
  readonly host: SessionObjectHost;
  readonly cookie: ResolvedOptions["cookie"];
  readonly lifetimeMs: number;
}

/**
 * @fastify/session's `request.session` (with @fastify/secure-session's `delete()` and `data()`),
 * as tessera gives it: each method returns a promise, or calls back when given a callback. The
 * data is also there as properties (`request.session.user`). Store work happens when the reply
 * is sent, in one write, except `save()`, which writes now, and `reload()`, which reads now.
 */
export interface FastifySessionMethods {
  /** The session id. */
  readonly sessionId: string;
  get(key: string): unknown;
  /** Sets a key; `undefined` removes it. */
  set(key: string, value: unknown): void;
  /**
   * Removes one key; without a key, ends the whole session (as @fastify/secure-session's
   * `delete()`), leaving `request.session` an empty session to go on with.
   */
  delete(key?: string): void;
  /** A copy of the data. */
  data(): Record<string, unknown>;
  /** A new id and a session holding only `keep` (none without it); the old record goes. */
  regenerate(keep?: readonly string[]): Promise<void>;
  regenerate(callback: Callback): void;
  regenerate(keep: readonly string[], callback: Callback): void;
  /** Ends the session: the record and the cookie go, and `request.session` is null. */
  destroy(): Promise<void>;
  destroy(callback: Callback): void;
  /** Reads the session again from the store, dropping this request's changes. */
  reload(): Promise<void>;
  reload(callback: Callback): void;
  /** Writes the session now; the reply then writes only what changes after. */
  save(): Promise<void>;
  save(callback: Callback): void;
  /** Moves the session's expiry when the reply is sent, even within `touchAfter`. */
  touch(): void;
  /** Whether this request changed the session (so far, since its last save). */
  isModified(): boolean;
  /** Whether `save()` stored it during this request. */
  isSaved(): boolean;
}

/** What a session object keeps of its request. */
interface SlotState {
  readonly slot: FastifySessionSlot;
  saved: boolean;
}

function stateOf(session: object): SlotState {
  const state = ownerOf<SlotState>(session);
  if (state === undefined) {
    throw new TesseraError(
      "TESSERA_SESSION_GONE",
      "This session object was replaced by regenerate() or ended by destroy(); use request.session.",
    );
  }
  return state;
}

/** Settles `work` through `callback` when there is one, else returns it as a promise. */
function settle(work: Promise<void>, callback: Callback | undefined): Promise<void> | undefined {
  if (callback === undefined) return work;
  work.then(
    () => callback(),
    (error: unknown) => callback(error),
  );
  return undefined;
}

function retire(session: object, slot: FastifySessionSlot): void {
  detach(session);
  slot.current = null;
}

/** The methods of `request.session`, on its prototype so that they are not enumerable. */
class FastifySessionPrototype {
  get sessionId(): string {
    return stateOf(this).slot.host.session.id;
  }

  get(key: string): unknown {
    return (this as unknown as Record<string, unknown>)[key];
  }

  set(key: string, value: unknown): void {
    (this as unknown as Record<string, unknown>)[key] = value;
  }

  delete(key?: string): void {
    if (key !== undefined) {
      delete (this as unknown as Record<string, unknown>)[key];
      return;
    }
    const { slot } = stateOf(this);
    slot.host.session.destroy();
  }

  data(): Record<string, unknown> {
    const { session } = stateOf(this).slot.host;
    return Object.fromEntries(session.entries());
  }

  regenerate(
    keepOrCallback?: readonly string[] | Callback,
    callback?: Callback,
  ): Promise<void> | undefined {
    const keep = Array.isArray(keepOrCallback) ? keepOrCallback : [];
    const done = typeof keepOrCallback === "function" ? keepOrCallback : callback;
    const { slot } = stateOf(this);
    const { session } = slot.host;
    retire(this, slot);
    // tessera moves the record and applies what the request kept in one atomic store call.
    session.regenerate();
    for (const key of session.keys()) if (!keep.includes(key)) session.delete(key);
    makeFastifySession(slot);
    return settle(Promise.resolve(), done);
  }

  destroy(callback?: Callback): Promise<void> | undefined {
    const { slot } = stateOf(this);
    retire(this, slot);
    slot.host.session.destroy();
    return settle(Promise.resolve(), callback);
  }

  reload(callback?: Callback): Promise<void> | undefined {
    return settle(
      stateOf(this)
        .slot.host.scope.reload()
        .then(() => undefined),
      callback,
    );
  }

  save(callback?: Callback): Promise<void> | undefined {
    const state = stateOf(this);
    return settle(
      state.slot.host.scope.save().then(() => {
        state.saved = true;
      }),
      callback,
    );
  }

  touch(): void {
    stateOf(this).slot.host.session.touch();
  }

  isModified(): boolean {
    return stateOf(this).slot.host.scope.modified();
  }

  isSaved(): boolean {
    return stateOf(this).saved;
  }

  /** console.log(request.session) shows the data, not the proxy's empty target. */
  [Symbol.for("nodejs.util.inspect.custom")](): object {
    return { ...this };
  }
}

/** Makes the request's session object and remembers it in `slot` as the current one. */
export function makeFastifySession(slot: FastifySessionSlot): FastifySessionMethods {
  const source: CookieViewSource = {
    session: slot.host.session,
    cookie: slot.cookie,
    lifetimeMs: slot.lifetimeMs,
  };
  const session = sessionObject(
    FastifySessionPrototype.prototype,
    slot.host,
    { cookie: { get: () => cookieView(source), set: (value) => assignCookieView(source, value) } },
    { slot, saved: false } satisfies SlotState,
  ) as unknown as FastifySessionMethods;
  slot.current = session;
  return session;
}
