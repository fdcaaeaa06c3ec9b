/**
 * What every Hono contender shares, so the floor, tessera and the Hono session libraries differ
 * only in the session middleware: Hono on Node through @hono/node-server's request listener
 * (`getRequestListener(app.fetch)`, what its `serve()` puts on a node:http server) on serve.ts's
 * server, and one way of answering, with the headers the node:http servers' sendJson sends.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { getRequestListener } from "@hono/node-server";
import type { Context, Hono } from "hono";
import { serve } from "./serve.ts";

// biome-ignore lint/suspicious/noExplicitAny: any Hono app, whatever its Env.
type AnyHono = Hono<any, any, any>;

export function serveHono(app: AnyHono, onClose: () => void | Promise<void> = () => {}): void {
  const listener = getRequestListener(app.fetch);
  serve((req: IncomingMessage, res: ServerResponse) => void listener(req, res), onClose);
}

export function honoJson(c: Context, status: 200 | 401 | 500, body: unknown): Response {
  return c.body(JSON.stringify(body), status, {
    "Content-Type": "application/json",
    "Cache-Control": "no-store",
  });
}

/**
 * cookie-workload.ts's `answer` for Hono: the usual JSON built from the session's username,
 * or 401 without one (a lost cookie must show up as an error, not as a fast 200).
 */
export function honoAnswer(c: Context, username: string | null | undefined): Response {
  if (username === undefined || username === null) {
    return honoJson(c, 401, { error: "no session: GET /start first" });
  }
  return honoJson(c, 200, { username });
}
