import type { Cookies } from "../../src/cookies/jar.ts";
import type { SessionManager } from "../../src/engine/manager.ts";
import type { Session, SessionValue } from "../../src/session/session.ts";
import type { ServeConfig, StoreProbe } from "./fixture.ts";

/** What every adapter hands the shared test app: the framework-neutral request and context. */
export interface NeutralRequest {
  readonly method: string;
  readonly url: URL;
}

export type NeutralSession = Session<Record<string, SessionValue>>;

export interface NeutralContext {
  session(): Promise<NeutralSession>;
  readonly cookies: Cookies;
}

export interface NeutralResponse {
  readonly status: number;
  readonly body: unknown;
}

/** A running test server. */
export interface Served {
  readonly url: string;
  /** The server's store, for server-side sessions. */
  readonly store: StoreProbe | undefined;
  /**
   * What a server in another process logged with console.error since the last call (a server
   * in this process logs to this console, where a test can watch it: then nothing).
   */
  errorsLogged(): Promise<string[]>;
  close(): Promise<void>;
}

/**
 * How the shared suites reach the test app through one adapter on one runtime: given the
 * config (plain data), it builds the sessions where the server runs and serves them.
 */
export interface AdapterHarness {
  readonly name: string;
  /** Whether the runtime has node:sqlite (Bun does not; see README). */
  readonly sqlite: boolean;
  serve(config: ServeConfig): Promise<Served>;
}

/**
 * One adapter's test server, on whichever runtime runs this code: serves `testApp` through the
 * adapter, and answers `POST /__probe` (the store probe's JSON protocol) when given a probe.
 */
export interface AdapterServer {
  readonly name: string;
  serve(
    manager: SessionManager<Record<string, SessionValue>>,
    probe: ProbeAnswer | undefined,
  ): Promise<{ readonly url: string; close(): Promise<void> }>;
}

/** Answers a probe request body (JSON text): the status and the JSON to send back. */
export type ProbeAnswer = (body: string) => Promise<{ status: number; json: string }>;

export const PROBE_PATH = "/__probe";

export class DeliberateFailure extends Error {}

/** The session's id, or null for cookie sessions, which have none. */
function idOf(session: Session<Record<string, SessionValue>>): string | null {
  try {
    return session.id;
  } catch {
    return null;
  }
}

/**
 * The one test application, written once against the engine's context; each adapter's harness
 * only translates its framework's request and response to and from these values.
 */
export async function testApp(
  request: NeutralRequest,
  context: NeutralContext,
): Promise<NeutralResponse> {
  const query = request.url.searchParams;
  const route = `${request.method} ${request.url.pathname}`;
  switch (route) {
    case "GET /noop":
      return { status: 200, body: { ok: true } };
    case "GET /data": {
      const session = await context.session();
      return {
        status: 200,
        body: { id: idOf(session), isNew: session.isNew, data: session.toJSON() },
      };
    }
    case "POST /set": {
      const session = await context.session();
      for (const [key, value] of query) session.set(key, value);
      return { status: 200, body: { id: idOf(session) } };
    }
    case "POST /delete": {
      const session = await context.session();
      session.delete(query.get("key") ?? "");
      return { status: 200, body: { id: idOf(session) } };
    }
    case "POST /clear": {
      (await context.session()).clear();
      return { status: 200, body: {} };
    }
    case "POST /login": {
      const session = await context.session();
      session.regenerate();
      session.set("user", query.get("user") ?? "alice");
      return { status: 303, body: { id: idOf(session) } };
    }
    case "POST /regenerate": {
      const session = await context.session();
      session.regenerate();
      return { status: 200, body: { id: idOf(session) } };
    }
    case "POST /destroy": {
      const session = await context.session();
      session.destroy();
      if (query.has("flash")) session.flash(query.get("flash") ?? "");
      return { status: 200, body: {} };
    }
    case "POST /regenerate-then-destroy": {
      const session = await context.session();
      session.regenerate();
      session.destroy();
      return { status: 200, body: { id: idOf(session) } };
    }
    case "POST /flash-and-show": {
      const session = await context.session();
      session.flash("shown at once");
      return { status: 200, body: session.consumeFlashes() };
    }
    case "POST /flash": {
      (await context.session()).flash(
        query.get("message") ?? "",
        query.get("category") ?? "message",
      );
      return { status: 200, body: {} };
    }
    case "GET /flashes": {
      const category = query.get("category");
      const flashes = (await context.session()).consumeFlashes(
        category === null ? undefined : { category },
      );
      return { status: 200, body: flashes };
    }
    case "POST /permanent": {
      const session = await context.session();
      session.permanent = query.get("value") !== "false";
      return { status: 200, body: {} };
    }
    case "POST /fail": {
      (await context.session()).set("lost", "yes");
      throw new DeliberateFailure("the handler failed after changing the session");
    }
    case "GET /cookie":
      return { status: 200, body: { value: context.cookies.get(query.get("name") ?? "") ?? null } };
    case "POST /cookie":
      context.cookies.set(query.get("name") ?? "", query.get("value") ?? "");
      return { status: 200, body: {} };
    default:
      return { status: 404, body: { error: route } };
  }
}
