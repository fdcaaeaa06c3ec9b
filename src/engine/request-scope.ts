import { Cookies, type CookieWriter } from "../cookies/jar.ts";
import { type FlaskSessionShape, Session, type SessionState } from "../session/session.ts";
import type { ResolvedOptions } from "./options.ts";
import type { FlowRequest, SessionFlow } from "./session-flow.ts";

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
export class RequestScope<T extends FlaskSessionShape<T>> implements FlowRequest {
  readonly cookies: Cookies;
  readonly requestIsSecure: boolean;
  readonly #flow: SessionFlow;
  #loading: Promise<Session<T>> | undefined;
  #state: SessionState | undefined;
  #finished = false;
  /** The engine's own way to write its cookie once the jar is sealed for the application. */
  #writer: CookieWriter | undefined;

  constructor(request: RequestInfo, options: ResolvedOptions, flow: SessionFlow) {
    this.#flow = flow;
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
    if (this.#loading === undefined) {
      this.#loading =
        this.#flow.loadNow === undefined
          ? this.#flow.load(this).then((state) => this.#adopt(state))
          : this.#loadNow();
    }
    return this.#loading;
  }

  /** For a flow that loads without I/O: no promise callbacks, and no function made per call. */
  #loadNow(): Promise<Session<T>> {
    try {
      return Promise.resolve(this.#adopt((this.#flow as Required<SessionFlow>).loadNow(this)));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  #adopt(state: SessionState): Session<T> {
    this.#state = state;
    if (this.#finished) state.sealed = true;
    return new Session<T>(state);
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
    const pending = this.#flow.save(state, this, this.#writer as CookieWriter, Date.now());
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
}

function firstToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const comma = header.indexOf(",");
  return (comma === -1 ? header : header.slice(0, comma)).trim();
}
