/**
 * `tessera/fastify`: a Fastify 5 plugin giving each request `request.session` with
 * @fastify/session's methods (promises, or callbacks), typed by declaration merging, and
 * `request.tessera.session` / `request.tessera.cookies`, tessera's own API:
 *
 * ```ts
 * await app.register(fastifySessions(sessions));
 * app.get("/", async (request) => { request.session.set("views", ...); ... });
 * ```
 *
 * The session is loaded in `onRequest` (no store read without a cookie), committed in `onSend`
 * (the store write completes before the reply goes out), and a request whose handler failed
 * (`onError`) saves nothing. It works with @fastify/cookie registered or not, and with
 * @fastify/passport.
 */
import type { TLSSocket } from "node:tls";
import type { FastifyPluginCallback, FastifyReply, FastifyRequest } from "fastify";
import type { Cookies } from "../../cookies/jar.ts";
import { errorResponse } from "../../engine/error-response.ts";
import type { SessionManager } from "../../engine/manager.ts";
import type { RequestScope, ResponseHeaders } from "../../engine/request-scope.ts";
import type { Session } from "../../session/session.ts";
import type { SessionCookieView } from "../cookie-view.ts";
import {
  type FastifySessionMethods,
  type FastifySessionSlot,
  makeFastifySession,
} from "./session-view.ts";

/**
 * The session's keys and value types, declared once by the application:
 * `declare module "tessera/fastify" { interface SessionData { user: string } }`.
 */
// biome-ignore lint/suspicious/noEmptyInterface: an interface for applications to augment.
export interface SessionData {}

/** `request.session`: @fastify/session's methods, typed by SessionData, and the data itself. */
export type FastifySession = Omit<FastifySessionMethods, "get" | "set"> & {
  readonly cookie: SessionCookieView;
  /** A key declared in SessionData reads as its type; any other as unknown. */
  get<K extends string>(key: K): K extends keyof SessionData ? SessionData[K] | undefined : unknown;
  /** A key declared in SessionData takes its type (or undefined, which removes it). */
  set<K extends string>(
    key: K,
    value: K extends keyof SessionData ? SessionData[K] | undefined : unknown,
  ): void;
} & Partial<SessionData>;

/** tessera's own API for the request, beside `request.session`. */
export interface TesseraFastifyRequest {
  /** The request's session through tessera's typed API (the same session). */
  readonly session: Session<SessionData>;
  /** The request's cookies, and the Set-Cookie headers its reply will carry. */
  readonly cookies: Cookies;
}

declare module "fastify" {
  interface FastifyRequest {
    /** The request's session (tessera/fastify); null after destroy(). */
    session: FastifySession;
    /** The request's session and cookies through tessera's own API. */
    tessera: TesseraFastifyRequest;
  }
}

/**
 * One request's sessions, kept in `request.tessera` (decorated, so Fastify's request keeps its
 * shape): the typed API, and what the hooks and the `request.session` accessor need.
 */
class FastifyRequestSessions implements TesseraFastifyRequest {
  readonly session: Session<SessionData>;
  readonly cookies: Cookies;
  readonly scope: RequestScope<unknown>;
  readonly slot: FastifySessionSlot;
  /** The commit (or the discard) happened. */
  settled = false;

  constructor(scope: RequestScope<unknown>, slot: FastifySessionSlot) {
    this.session = slot.host.session as unknown as Session<SessionData>;
    this.cookies = scope.cookies;
    this.scope = scope;
    this.slot = slot;
  }

  /** `request.session`, made on first use: a route that never looks costs nothing more. */
  sessionObject(): FastifySessionMethods | null {
    const slot = this.slot;
    return slot.current === undefined ? makeFastifySession(slot) : slot.current;
  }
}

/**
 * The plugin: `app.register(fastifySessions(sessions))`. Its hooks and decorators apply to the
 * whole application (it is not encapsulated, like fastify-plugin's plugins).
 */
export function fastifySessions<T>(manager: SessionManager<T>): FastifyPluginCallback {
  const { cookie, lifetimeMs } = manager.options;
  const sessionsOf = (request: FastifyRequest) => request.tessera as FastifyRequestSessions | null;

  const plugin: FastifyPluginCallback = (fastify, _options, done) => {
    fastify.decorateRequest("tessera", null as never);
    // An accessor on Fastify's request prototype, defined once (not on each request).
    fastify.decorateRequest("session", {
      getter(this: FastifyRequest) {
        return sessionsOf(this)?.sessionObject() ?? null;
      },
      setter(this: FastifyRequest, value: unknown) {
        const sessions = sessionsOf(this);
        if (sessions !== null) replaceSession(sessions, value);
      },
    } as never);

    fastify.addHook("onRequest", (request, reply, next) => {
      const scope = manager.begin({
        cookieHeader: request.headers.cookie,
        encrypted: (request.raw.socket as Partial<TLSSocket> | undefined)?.encrypted === true,
        forwardedProto: firstValue(request.headers["x-forwarded-proto"]),
      }) as RequestScope<unknown>;
      const attach = (session: Session<unknown>): void => {
        request.tessera = new FastifyRequestSessions(scope, {
          current: undefined,
          host: { session: session as Session<Record<string, unknown>>, scope },
          cookie,
          lifetimeMs,
        });
        next();
      };
      const loading = scope.load();
      // Loaded at once (no cookie, or a cookie session): on to the route in the same tick.
      const loaded = scope.loadedSession();
      if (loaded !== undefined) return attach(loaded);
      loading.then(attach, (error: unknown) => {
        scope.discard();
        sendError(request, reply, error);
      });
    });

    // A handler that failed saves nothing, whatever status its error reply has.
    fastify.addHook("onError", (request, _reply, _error, next) => {
      const sessions = sessionsOf(request);
      if (sessions !== null && !sessions.settled) {
        sessions.settled = true;
        sessions.scope.discard();
      }
      next();
    });

    fastify.addHook("onSend", (request, reply, payload, next) => {
      const sessions = sessionsOf(request);
      if (sessions === null || sessions.settled) return next(null, payload);
      sessions.settled = true;
      const fail = (error: unknown) => {
        // The handler's payload is not sent: a stream of it must not stay open.
        (payload as { destroy?: () => void } | null)?.destroy?.();
        next(null, replaceWithError(request, reply, error));
      };
      let headers: ResponseHeaders | Promise<ResponseHeaders>;
      try {
        headers = sessions.scope.commit(reply.statusCode);
      } catch (error) {
        return fail(error);
      }
      if (!(headers instanceof Promise)) {
        addSessionHeaders(reply, headers);
        return next(null, payload);
      }
      headers.then((committed) => {
        addSessionHeaders(reply, committed);
        next(null, payload);
      }, fail);
    });
    done();
  };
  // As fastify-plugin marks a plugin: its hooks and decorators reach the whole application.
  return Object.assign(plugin, {
    [Symbol.for("skip-override")]: true,
    [Symbol.for("fastify.display-name")]: "tessera",
  });
}

/** `request.session = null` ends the session; an object replaces its data. */
function replaceSession(sessions: FastifyRequestSessions, value: unknown): void {
  const { session } = sessions.slot.host;
  if (value === null || value === undefined) {
    sessions.sessionObject()?.destroy();
    return;
  }
  if (value === sessions.slot.current) return;
  session.clear();
  for (const [key, item] of Object.entries(value as object)) {
    if (key !== "cookie" && item !== undefined) session.set(key as never, item as never);
  }
}

function addSessionHeaders(reply: FastifyReply, headers: ResponseHeaders): void {
  if (headers.setCookie.length > 0) reply.header("set-cookie", headers.setCookie as string[]);
  if (headers.clearSiteData !== undefined) reply.header("clear-site-data", headers.clearSiteData);
  if (headers.varyCookie) addVaryCookie(reply);
}

/** Answers with the engine's error response: 503 for a store outage, 500 otherwise. */
function sendError(request: FastifyRequest, reply: FastifyReply, error: unknown): void {
  const answer = errorResponse(error);
  if (answer.log) request.log.error(error, "tessera: request failed");
  reply.code(answer.status).headers(answer.headers).send(answer.body);
}

/**
 * The commit failed while the reply was on its way out (a store outage, a session too big for
 * its cookie): the reply becomes the engine's error response, so no 2xx reports a change that
 * was not stored. None of the handler's headers belong on it.
 */
function replaceWithError(request: FastifyRequest, reply: FastifyReply, error: unknown): string {
  const answer = errorResponse(error);
  if (answer.log) request.log.error(error, "tessera: storing the session failed");
  for (const name of Object.keys(reply.getHeaders())) reply.removeHeader(name);
  reply.code(answer.status).headers(answer.headers);
  return answer.body;
}

function addVaryCookie(reply: FastifyReply): void {
  const vary = reply.getHeader("vary");
  if (vary === undefined) {
    reply.header("vary", "Cookie");
    return;
  }
  const names = String(vary)
    .split(",")
    .map((name) => name.trim())
    .filter((name) => name.length > 0);
  if (names.some((name) => name === "*" || name.toLowerCase() === "cookie")) return;
  reply.header("vary", [...names, "Cookie"].join(", "));
}

function firstValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
