import { Cookies } from "../cookies/jar.ts";
import type { ChangeSet } from "../session/changes.ts";
import { Session, SessionState } from "../session/session.ts";
import type { SessionStore } from "../stores/contract.ts";
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

/**
 * One request's session and cookies, from the Cookie header to the Set-Cookie headers. Loading
 * is lazy (a request that never asks for its session costs no store read) and committing
 * writes at most once, before the adapter lets the response headers go out.
 */
export class RequestScope<T extends object> {
  readonly cookies: Cookies;
  readonly requestIsSecure: boolean;
  readonly #options: ResolvedOptions;
  readonly #transport: IdCookieTransport;
  #loading: Promise<Session<T>> | undefined;
  #state: SessionState | undefined;
  #cookieId: CookieId | undefined;
  #committed = false;

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

  /** Whether the handler asked for the session (then the response varies by Cookie). */
  get accessed(): boolean {
    return this.#loading !== undefined;
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
    const cookieId = this.#transport.read(this.cookies);
    this.#cookieId = cookieId;
    let loaded: ConstructorParameters<typeof SessionState>[0];
    if (cookieId !== undefined) {
      const record = await this.#call("get", (store) => store.get(cookieId.id));
      if (record !== undefined && isAlive(record, Date.now(), this.#options)) {
        loaded = { id: cookieId.id, ...record };
      }
    }
    this.#state = new SessionState(loaded, this.#options.permanent);
    return new Session<T>(this.#state);
  }

  /**
   * Persists what the request changed and returns the headers to add. Synchronous when no
   * store call is needed (the common read-only request), so the adapter can send at once.
   */
  commit(): ResponseHeaders | Promise<ResponseHeaders> {
    if (this.#committed) {
      throw new Error(
        "This request's session was already committed; commit() runs once, when the response is about to be sent.",
      );
    }
    if (this.#loading !== undefined && this.#state === undefined) {
      // The handler asked for the session but the response started before the load finished.
      return this.#loading.then(() => this.commit());
    }
    this.#committed = true;
    const state = this.#state;
    if (state === undefined) return this.#headers();
    const pending = this.#persist(state, Date.now());
    return pending === undefined ? this.#headers() : pending.then(() => this.#headers());
  }

  #headers(): ResponseHeaders {
    return { setCookie: this.cookies.outgoing, varyCookie: this.#state !== undefined };
  }

  /** Decides the store calls for this request; undefined when none is needed. */
  #persist(state: SessionState, now: number): Promise<void> | undefined {
    const { loadedId, loadedCreatedAt, loadedExpiresAt, changes } = state;
    if (loadedId === undefined || loadedCreatedAt === undefined || loadedExpiresAt === undefined) {
      if (!changes.isEmpty) return this.#create(state, changes, now);
      // A cookie that led nowhere (forged, unknown, expired) is dropped so it stops costing
      // a verification and a store read on every request.
      if (this.#transport.present(this.cookies))
        this.#transport.clear(this.cookies, this.requestIsSecure);
      return undefined;
    }
    const expiresAt = expiryFrom(now, loadedCreatedAt, this.#options);
    switch (state.fate) {
      case "destroy":
        return this.#call("destroy", (store) => store.destroy(loadedId)).then(() => {
          if (changes.isEmpty) this.#transport.clear(this.cookies, this.requestIsSecure);
          else return this.#create(state, changes, now);
        });
      case "rename":
        return this.#call("rename", (store) => store.rename(loadedId, state.id, expiresAt)).then(
          (renamed) => {
            // The old record vanished meanwhile (expired, or its store lost it); the data this
            // request loaded is still the user's, so it is written whole under the new id.
            if (!renamed) return this.#create(state, state.snapshotPatch(), now, loadedCreatedAt);
            if (changes.isEmpty) return this.#sendId(state, expiresAt, now);
            return this.#update(state, state.id, changes, loadedCreatedAt, expiresAt, now);
          },
        );
      case "keep":
        if (!changes.isEmpty) {
          return this.#update(state, loadedId, changes, loadedCreatedAt, expiresAt, now);
        }
        if (this.#options.rolling && expiresAt - loadedExpiresAt >= this.#options.touchAfterMs) {
          return this.#call("touch", (store) => store.touch(loadedId, expiresAt)).then(() => {
            if (state.permanent || this.#cookieId?.rotated) this.#sendId(state, expiresAt, now);
          });
        }
        if (this.#cookieId?.rotated) this.#sendId(state, loadedExpiresAt, now);
        return undefined;
    }
  }

  #create(state: SessionState, patch: ChangeSet, now: number, createdAt = now): Promise<void> {
    const expiresAt = expiryFrom(now, createdAt, this.#options);
    const id = state.id;
    return this.#call("apply", (store) =>
      store.apply(id, patch, { expiresAt, createdAt, mustExist: false }),
    ).then(() => this.#sendId(state, expiresAt, now));
  }

  #update(
    state: SessionState,
    id: string,
    patch: ChangeSet,
    createdAt: number,
    expiresAt: number,
    now: number,
  ): Promise<void> {
    return this.#call("apply", (store) =>
      store.apply(id, patch, { expiresAt, createdAt, mustExist: true }),
    ).then((written) => {
      // The record was destroyed while this request ran (logout elsewhere): the session is
      // over, and this late write must not bring it back.
      if (!written) this.#transport.clear(this.cookies, this.requestIsSecure);
      else if (state.permanent || state.idChanged || this.#cookieId?.rotated) {
        this.#sendId(state, expiresAt, now);
      }
    });
  }

  #sendId(state: SessionState, expiresAt: number, now: number): void {
    const maxAge = state.permanent ? Math.max(0, Math.floor((expiresAt - now) / 1_000)) : undefined;
    this.#transport.write(this.cookies, state.id, maxAge, this.requestIsSecure);
  }

  #call<R>(operation: string, call: (store: SessionStore) => Promise<R>): Promise<R> {
    const { store, storeTimeoutMs } = this.#options;
    return withDeadline(operation, store.kind, storeTimeoutMs, () => call(store));
  }
}

function firstToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const comma = header.indexOf(",");
  return (comma === -1 ? header : header.slice(0, comma)).trim();
}
