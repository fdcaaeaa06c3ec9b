import type { SessionShape, SessionValue } from "../session/session.ts";
import { IdCookieTransport } from "../transport/id-cookie.ts";
import { type ResolvedOptions, resolveOptions, type SessionOptions } from "./options.ts";
import { type RequestInfo, RequestScope } from "./request-scope.ts";

/**
 * The application's session configuration, made once at startup: options are validated and
 * keys derived here, so requests pay for neither. Adapters call `begin` once per request.
 */
export class SessionManager<T extends SessionShape<T> = Record<string, SessionValue>> {
  readonly options: ResolvedOptions;
  readonly #transport: IdCookieTransport;

  constructor(options: SessionOptions) {
    this.options = resolveOptions(options);
    this.#transport = new IdCookieTransport(this.options);
  }

  get store(): ResolvedOptions["store"] {
    return this.options.store;
  }

  begin(request: RequestInfo): RequestScope<T> {
    return new RequestScope<T>(request, this.options, this.#transport);
  }

  /** Closes the store (its timers and connections). */
  close(): Promise<void> {
    return this.options.store.close();
  }
}

/** Creates the session manager: `createSessions<{ username: string }>({ secret, store })`. */
export function createSessions<T extends SessionShape<T> = Record<string, SessionValue>>(
  options: SessionOptions,
): SessionManager<T> {
  return new SessionManager<T>(options);
}
