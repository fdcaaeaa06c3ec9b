import { Cookies, type CookieWriter } from "../cookies/jar.ts";
import type { ChangeSet } from "../session/changes.ts";
import { PERMANENT_KEY, Session, type SessionShape, SessionState } from "../session/session.ts";
import type { SessionStore, StoredSession } from "../stores/contract.ts";
import type { CookieId, IdCookieTransport } from "../transport/id-cookie.ts";
import { expiryFrom, isAlive } from "./lifetime.ts";
import type { ResolvedOptions } from "./options.ts";
import { withDeadline } from "./timed-store.ts";

/** What an adapter tells the engine about a request. */
export interface RequestInfo {
  /** The Cookie header as received, if any. */
  readonly cookieHeader: string | undefined;
  /** The connection itself is TLS. */
  readonly encrypted: boolean;
  /** X-Forwarded-Proto as received; believed only with `trustProxy`. */
  readonly forwardedProto?: string | undefined;
}

/** What an adapter adds to the response. */
export interface ResponseHeaders {
  /** Set-Cookie header values, one per cookie. */
  readonly setCookie: readonly string[];
  /** Add `Cookie` to Vary: the response depends on the session, so shared caches must not mix users. */
  readonly varyCookie: boolean;
}

const NO_HEADERS: ResponseHeaders = Object.freeze({ setCookie: [], varyCookie: false });

/**
 * One request's session and cookies, from the Cookie header to the Set-Cookie headers. Loading
 * is lazy (a request that never asks for its session costs no store read) and committing
 * writes at most once, before the adapter lets the response headers go out.
 *
 * Adapters call `commit()` when the response is about to start, or `discard()` when the handler
 * failed before it started (nothing is saved, as in Flask). Either way the scope is sealed:
 * a later change to the session or the cookies throws instead of vanishing.
 */
export class RequestScope<T extends SessionShape<T>> {
  readonly cookies: Cookies;
  readonly requestIsSecure: boolean;
  readonly #options: ResolvedOptions;
  readonly #transport: IdCookieTransport;
  #loading: Promise<Session<T>> | undefined;
  #state: SessionState | undefined;
  #cookieId: CookieId | undefined;
  #finished = false;
  /** The engine's own way to write its cookie once the jar is sealed for the application. */
  #writer: CookieWriter | undefined;

  constructor(request: RequestInfo, options: ResolvedOptions, transport: IdCookieTransport) {
    this.#options = options;
    this.#transport = transport;
    this.requestIsSecure =
      request.encrypted ||
      (options.trustProxy && firstToken(request.forwardedProto)?.toLowerCase() === "https");
    this.cookies = new Cookies(request.cookieHeader, {
      requestIsSecure: this.requestIsSecure,
      keyring: options.keyring,
    });
  }

  /**
   * The request's session, loaded on first call. A missing, forged, unknown or expired cookie
   * gives a new empty session with a fresh id: the client's id is never adopted.
   */
  session(): Promise<Session<T>> {
    this.#loading ??= this.#load();
    return this.#loading;
  }

  async #load(): Promise<Session<T>> {
    let loaded: (StoredSession & { id: string }) | undefined;
    // Usually one candidate. Several appear when a sibling subdomain planted a cookie of the
    // same name; the first that leads to a live record wins, so a planted dead one cannot
    // push the user out of their session.
    for (const candidate of this.#transport.read(this.cookies)) {
      const record = await this.#call("get", (store) => store.get(candidate.id));
      if (record !== undefined && isAlive(record, Date.now(), this.#options)) {
        this.#cookieId = candidate;
        loaded = { id: candidate.id, ...record };
        break;
      }
    }
    const { store } = this.#options;
    this.#state = new SessionState(
      loaded,
      this.#options.permanent,
      store.renameTarget?.bind(store),
    );
    if (this.#finished) this.#state.sealed = true;
    return new Session<T>(this.#state);
  }

  /**
   * Persists what the request changed and returns the headers to add. Synchronous when no
   * store call is needed (the common read-only request), so the adapter can send at once.
   */
  commit(): ResponseHeaders | Promise<ResponseHeaders> {
    if (this.#finished) {
      throw new Error(
        "This request's session was already committed or discarded; commit() runs once, when the response is about to be sent.",
      );
    }
    if (this.#loading !== undefined && this.#state === undefined) {
      // The handler asked for the session but the response started before the load finished.
      return this.#loading.then(() => this.commit());
    }
    this.#seal();
    const state = this.#state;
    if (state === undefined) return this.#headers();
    const pending = this.#persist(state, Date.now());
    return pending === undefined ? this.#headers() : pending.then(() => this.#headers());
  }

  /** The handler failed before its response started: save nothing, send no session cookie. */
  discard(): void {
    this.#seal();
  }

  #seal(): void {
    this.#finished = true;
    if (this.#state !== undefined) this.#state.sealed = true;
    this.#writer = this.cookies.seal();
  }

  #headers(): ResponseHeaders {
    const setCookie = this.cookies.outgoing;
    const varyCookie = this.#state !== undefined;
    return setCookie.length === 0 && !varyCookie ? NO_HEADERS : { setCookie, varyCookie };
  }

  /** Decides the store calls for this request; undefined when none is needed. */
  #persist(state: SessionState, now: number): Promise<void> | undefined {
    const { loadedId, loadedCreatedAt, loadedExpiresAt, changes } = state;
    if (loadedId === undefined || loadedCreatedAt === undefined || loadedExpiresAt === undefined) {
      if (holdsNewData(state)) return this.#create(state, changes, now);
      // A cookie that led nowhere (forged, unknown, expired) is dropped so it stops costing
      // a verification and a store read on every request.
      if (this.#transport.present(this.cookies)) this.#clearCookie();
      return undefined;
    }
    const expiresAt = expiryFrom(now, loadedCreatedAt, this.#options);
    switch (state.fate) {
      case "destroy":
        return this.#call("destroy", (store) => store.destroy(loadedId)).then(() => {
          if (holdsNewData(state)) return this.#create(state, changes, now);
          this.#clearCookie();
        });
      case "rename":
        // One atomic store call moves the record and applies this request's changes, so a
        // failure cannot leave the user between two ids.
        return this.#call("rename", (store) =>
          store.rename(loadedId, state.id, { patch: changes, expiresAt }),
        ).then((renamed) => {
          // The record is gone (destroyed by a logout meanwhile, or expired): the session is
          // over, and regenerating must not bring it back under a new id.
          if (renamed) this.#sendId(state, expiresAt, now);
          else this.#clearCookie();
        });
      case "keep":
        if (!changes.isEmpty) return this.#update(state, loadedId, changes, expiresAt, now);
        if (this.#options.rolling && expiresAt - loadedExpiresAt >= this.#options.touchAfterMs) {
          return this.#call("touch", (store) => store.touch(loadedId, expiresAt)).then(() => {
            if (state.permanent || this.#cookieId?.rotated) this.#sendId(state, expiresAt, now);
          });
        }
        if (this.#cookieId?.rotated) this.#sendId(state, loadedExpiresAt, now);
        return undefined;
    }
  }

  #create(state: SessionState, patch: ChangeSet, now: number): Promise<void> {
    const expiresAt = expiryFrom(now, now, this.#options);
    const id = state.id;
    return this.#call("apply", (store) =>
      store.apply(id, patch, { expiresAt, createdAt: now, mustExist: false }),
    ).then(() => this.#sendId(state, expiresAt, now));
  }

  #update(
    state: SessionState,
    id: string,
    patch: ChangeSet,
    expiresAt: number,
    now: number,
  ): Promise<void> {
    return this.#call("apply", (store) =>
      store.apply(id, patch, { expiresAt, createdAt: now, mustExist: true }),
    ).then((written) => {
      // The record was destroyed while this request ran (logout elsewhere): the session is
      // over, and this late write must not bring it back.
      if (!written) this.#clearCookie();
      else if (state.permanent || this.#cookieId?.rotated || patch.set.has(PERMANENT_KEY)) {
        this.#sendId(state, expiresAt, now);
      }
    });
  }

  #sendId(state: SessionState, expiresAt: number, now: number): void {
    const maxAge = state.permanent ? Math.max(0, Math.floor((expiresAt - now) / 1_000)) : undefined;
    this.#transport.write(this.#sealedWriter(), state.id, maxAge, this.requestIsSecure);
  }

  #clearCookie(): void {
    this.#transport.clear(this.#sealedWriter(), this.requestIsSecure);
  }

  #sealedWriter(): CookieWriter {
    if (this.#writer === undefined)
      throw new Error("tessera: the session cookie is written only while committing.");
    return this.#writer;
  }

  #call<R>(operation: string, call: (store: SessionStore) => Promise<R>): Promise<R> {
    const { store, storeDeadlines } = this.#options;
    return withDeadline(operation, store.kind, storeDeadlines, () => call(store));
  }
}

/**
 * Whether a session without a stored record (new, or destroyed and begun again) has something
 * to store: a flash shown in the same request or a key set and deleted again leaves nothing
 * worth a record and a cookie.
 */
function holdsNewData(state: SessionState): boolean {
  return !state.changes.isEmpty && state.data.size > 0;
}

function firstToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const comma = header.indexOf(",");
  return (comma === -1 ? header : header.slice(0, comma)).trim();
}
