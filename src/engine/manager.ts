import { ConfigError } from "../errors.ts";
import type {
  FlaskSessionShape,
  FlaskSessionValue,
  SessionShape,
  SessionValue,
} from "../session/session.ts";
import type { SessionStore } from "../stores/contract.ts";
import { FlaskCookieCodec } from "../transport/flask-cookie.ts";
import { IdCookieTransport } from "../transport/id-cookie.ts";
import { SealedCookieCodec } from "../transport/sealed-cookie.ts";
import { CookieSessions } from "./cookie-sessions.ts";
import { LegacySessions } from "./legacy-sessions.ts";
import {
  type FlaskCookieSessionOptions,
  type ResolvedOptions,
  resolveOptions,
  type SessionOptions,
} from "./options.ts";
import { type RequestInfo, RequestScope } from "./request-scope.ts";
import type { SessionFlow } from "./session-flow.ts";
import { StoreSessions } from "./store-sessions.ts";

/**
 * The application's session configuration, made once at startup: options are validated and
 * keys derived here, so requests pay for neither. Adapters call `begin` once per request.
 */
export class SessionManager<T = Record<string, SessionValue>> {
  readonly options: ResolvedOptions;
  readonly #flow: SessionFlow;

  constructor(options: SessionOptions) {
    this.options = resolveOptions(options);
    this.#flow = flowFor(this.options);
  }

  /** The store of server-side sessions (for listing, revoking, purging). */
  get store(): SessionStore {
    const { store, format } = this.options;
    if (store === undefined) {
      throw new ConfigError(
        `These sessions (format "${format}") travel whole in their cookie and have no store to list, revoke or purge.`,
      );
    }
    return store;
  }

  begin(request: RequestInfo): RequestScope<T> {
    return new RequestScope<T>(request, this.options, this.#flow);
  }

  /** Closes the store (its timers and connections); nothing to close for cookie sessions. */
  close(): Promise<void> {
    return this.#flow.close();
  }
}

function flowFor(options: ResolvedOptions): SessionFlow {
  switch (options.format) {
    case "flask":
      return new CookieSessions(options, new FlaskCookieCodec(options.keyring, options.lifetimeMs));
    case "sealed":
      return new CookieSessions(options, new SealedCookieCodec(options.keyring));
    case "id":
    case "flask-session":
      // resolveOptions gives every server-side format a store.
      return new StoreSessions(
        options,
        options.store as SessionStore,
        new IdCookieTransport(options),
        options.migrateFrom.length === 0
          ? undefined
          : new LegacySessions({
              sources: options.migrateFrom,
              keepLegacy: options.keepLegacy,
              keyring: options.keyring,
              deadlines: options.storeDeadlines,
              ownCookieName: options.cookie.name,
            }),
      );
  }
}

/**
 * Creates the session manager: `createSessions<{ username: string }>({ secret, store })`. The
 * session type's values must survive the format: JSON's values, and with `format: "flask"` also
 * what Flask's cookie keeps (a `Date`, a `FlaskTuple`, bytes…).
 */
export function createSessions<T extends FlaskSessionShape<T> = Record<string, FlaskSessionValue>>(
  options: FlaskCookieSessionOptions,
): SessionManager<T>;
export function createSessions<T extends SessionShape<T> = Record<string, SessionValue>>(
  options: SessionOptions,
): SessionManager<T>;
export function createSessions<T extends FlaskSessionShape<T>>(
  options: SessionOptions,
): SessionManager<T> {
  return new SessionManager<T>(options);
}
