import { Cookies, engineWriterOf } from "../cookies/jar.ts";
import { ResponseStartedError, TesseraError } from "../errors.ts";
import { Session, type SessionState } from "../session/session.ts";
import type { ResolvedOptions } from "./options.ts";
import { type FlowRequest, holdsNewData, type SessionFlow } from "./session-flow.ts";

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
  /**
   * The `Clear-Site-Data` header's value, for a response that ended its session with
   * `destroy()` when the `clearSiteData` option is on; undefined otherwise.
   */
  readonly clearSiteData?: string;
}

const NO_HEADERS: ResponseHeaders = Object.freeze({ setCookie: [], varyCookie: false });

/**
 * One request's session and cookies, from the Cookie header to the Set-Cookie headers. Loading
 * is lazy (a request that never asks for its session costs no store read) and committing
 * writes at most once, before the adapter lets the response headers go out.
 *
 * Adapters call `commit(status)` when the response is about to start, or `discard()` when the
 * handler failed before it started (nothing is saved). Either way the scope is sealed: a later
 * change to the session or the cookies throws instead of vanishing.
 *
 * Frameworks whose session must be ready before the handler runs (Express's `req.session`)
 * call `load()` up front: that session counts as used only once the application touches it, so
 * an untouched one costs no write, sends no cookie and adds no `Vary`, as with lazy loading.
 */
export class RequestScope<T> implements FlowRequest {
  readonly cookies: Cookies;
  readonly requestIsSecure: boolean;
  readonly #flow: SessionFlow;
  readonly #clearSiteData: string | undefined;
  #loading: Promise<Session<T>> | undefined;
  #state: SessionState | undefined;
  #session: Session<T> | undefined;
  #finished = false;
  /** `session()` was called while a load was in flight: the landed session counts as used. */
  #used = false;

  constructor(request: RequestInfo, options: ResolvedOptions, flow: SessionFlow) {
    this.#flow = flow;
    this.#clearSiteData = options.clearSiteData;
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
   * gives a new empty session (with a fresh id, for stored sessions): the client's id is never
   * adopted.
   */
  session(): Promise<Session<T>> {
    const loading = this.load();
    // Asked for by the application: the response depends on it from here on.
    if (this.#state !== undefined) this.#state.accessed = true;
    else this.#used = true;
    return loading;
  }

  /** The session, loaded if need be, without counting as a use of it (see the class notes). */
  load(): Promise<Session<T>> {
    if (this.#loading === undefined) {
      let loaded: SessionState | Promise<SessionState>;
      try {
        loaded = this.#flow.load(this);
      } catch (error) {
        loaded = Promise.reject(error);
      }
      // Loaded at once (no I/O was needed): no promise callbacks, and no function made per call.
      this.#loading =
        loaded instanceof Promise
          ? loaded.then((state) => this.#adopt(state))
          : Promise.resolve(this.#adopt(loaded));
    }
    return this.#loading;
  }

  /**
   * The session when it has already loaded (it needed no I/O, or its load has settled), else
   * undefined: lets an adapter that must load up front (Express) go on in the same tick.
   */
  loadedSession(): Session<T> | undefined {
    return this.#session;
  }

  #adopt(state: SessionState): Session<T> {
    this.#state = state;
    if (this.#used) state.accessed = true;
    if (this.#finished) state.sealed = true;
    const session = new Session<T>(state);
    this.#session = session;
    return session;
  }

  /**
   * Stores what the request changed so far, now, rather than when the response starts (for
   * express-session's `save()`, a long-lived request, or a WebSocket upgrade). Later changes
   * are measured from what this stored, and the commit writes only those.
   */
  async save(): Promise<void> {
    this.#assertOpen("save()");
    await this.session();
    const state = this.#state as SessionState;
    this.#assertOpen("save()");
    state.recordInPlaceChanges();
    await this.#flow.save(state, this, engineWriterOf(this.cookies), Date.now());
  }

  /**
   * Drops the request's changes and reads the session again as it is kept now. Resolves false
   * when it is gone (never stored, destroyed or expired): the request goes on with a new one.
   */
  async reload(): Promise<boolean> {
    this.#assertOpen("reload()");
    await this.session();
    const state = this.#state as SessionState;
    const fresh = await this.#flow.reload(state, this);
    this.#assertOpen("reload()");
    state.adopt(fresh);
    state.accessed = true;
    // A session being moved in from a legacy library is not stored yet, but it is not gone.
    return fresh.loaded || !fresh.unchanged;
  }

  /**
   * For adapters whose session hands values out by reference (`req.session.cart` in Express):
   * a change made to `value` in place is found and saved at commit, as express-session does.
   */
  watch(key: string, value: object): void {
    this.#state?.watch(key, value);
  }

  /** Whether the request changed its session since it was loaded (or last saved). */
  modified(): boolean {
    const state = this.#state;
    if (state === undefined) return false;
    state.recordInPlaceChanges();
    return !state.unchanged || state.fate !== "keep";
  }

  /**
   * Persists what the request changed and returns the headers to add. Synchronous when no
   * store call is needed (the common read-only request), so the adapter can send at once.
   *
   * `status` is the response's status code: an error response (500 and above) saves nothing,
   * whichever framework turned the handler's failure into it, and sends no cookie of tessera's.
   */
  commit(status?: number): ResponseHeaders | Promise<ResponseHeaders> {
    if (this.#finished) {
      throw new TesseraError(
        "TESSERA_ALREADY_COMMITTED",
        "This request's session was already committed or discarded; commit() runs once, when the response is about to be sent.",
      );
    }
    if (status !== undefined && status >= 500) {
      this.discard();
      return NO_HEADERS;
    }
    if (this.#loading !== undefined && this.#state === undefined) {
      // The handler asked for the session but the response started before the load finished.
      return this.#loading.then(() => this.commit(status));
    }
    this.#seal();
    const state = this.#state;
    if (state === undefined || !state.accessed) return this.#headers(false);
    state.recordInPlaceChanges();
    // A logout: destroyed, with nothing new begun in its place (whose cookie it would clear).
    const loggedOut =
      this.#clearSiteData !== undefined && state.fate === "destroy" && !holdsNewData(state);
    const pending = this.#flow.save(state, this, engineWriterOf(this.cookies), Date.now());
    return pending === undefined
      ? this.#headers(true, loggedOut)
      : pending.then(() => this.#headers(true, loggedOut));
  }

  /** The handler failed before its response started: save nothing, send no cookie of tessera's. */
  discard(): void {
    this.#seal();
    this.cookies.discardOutgoing();
  }

  #seal(): void {
    this.#finished = true;
    if (this.#state !== undefined) this.#state.sealed = true;
    this.cookies.seal();
  }

  #headers(varyCookie: boolean, loggedOut = false): ResponseHeaders {
    const setCookie = this.cookies.outgoing;
    if (loggedOut) return { setCookie, varyCookie, clearSiteData: this.#clearSiteData as string };
    return setCookie.length === 0 && !varyCookie ? NO_HEADERS : { setCookie, varyCookie };
  }

  #assertOpen(call: string): void {
    if (this.#finished) {
      throw new ResponseStartedError(
        `session.${call} came after the response started, so the change could reach neither the store nor the browser. Call it before the response starts (before its status and headers are sent).`,
      );
    }
  }
}

function firstToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const comma = header.indexOf(",");
  return (comma === -1 ? header : header.slice(0, comma)).trim();
}
