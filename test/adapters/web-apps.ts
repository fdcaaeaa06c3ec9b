/**
 * The shared test app over Web Request/Response, as a Hono app and as a bare fetch handler: the
 * same code serves it on Node, Bun and Deno (hono-harness.ts) and in workerd (worker.ts).
 */
import { Hono } from "hono";
import { withSessions } from "../../src/adapters/fetch/index.ts";
import { honoSessions, type SessionEnv } from "../../src/adapters/hono/index.ts";
import type { SessionManager } from "../../src/engine/manager.ts";
import type { SessionValue } from "../../src/session/session.ts";
import { type NeutralContext, type NeutralSession, testApp } from "../behaviour/app.ts";

type Manager = SessionManager<Record<string, SessionValue>>;

export function honoTestApp(manager: Manager): (request: Request) => Promise<Response> {
  const app = new Hono<SessionEnv<Record<string, SessionValue>>>();
  app.use(honoSessions(manager));
  app.all("*", async (c) => {
    const session = c.var.session as unknown as NeutralSession;
    const { status, body } = await testApp(
      { method: c.req.method, url: new URL(c.req.url) },
      { session: async () => session, cookies: c.var.cookies },
    );
    return c.json(body, status as 200);
  });
  return async (request) => app.fetch(request);
}

export function fetchTestHandler(manager: Manager): (request: Request) => Promise<Response> {
  return withSessions(manager, async (request, context) => {
    const { status, body } = await testApp(
      { method: request.method, url: new URL(request.url) },
      context as unknown as NeutralContext,
    );
    return Response.json(body, { status });
  });
}
