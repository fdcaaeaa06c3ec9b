/**
 * What every Fastify contender shares, so the floor, tessera and @fastify/session differ only in
 * the session plugin: Fastify 5 with its defaults (no logger), a parser for login forms (Fastify
 * has none for application/x-www-form-urlencoded; this is the one examples/fastify.ts adds), one
 * way of answering, and serving through `serve()`: the app's request handler
 * (`fastify.routing`, what its own server would call) on serve.ts's node:http server.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import Fastify, { type FastifyInstance, type FastifyReply } from "fastify";
import { serve } from "./serve.ts";

export function createFastifyApp(): FastifyInstance {
  const app = Fastify();
  app.addContentTypeParser(
    "application/x-www-form-urlencoded",
    { parseAs: "string" },
    (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(String(body)))),
  );
  return app;
}

/** Answers `body` as JSON with the headers the node:http servers' sendJson sends. */
export function sendFastifyJson(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  return reply
    .code(status)
    .header("cache-control", "no-store")
    .type("application/json")
    .send(JSON.stringify(body));
}

/** Boots the app (its plugins registered), then serves it; closes it, then `onClose`, at the end. */
export async function serveFastify(
  app: FastifyInstance,
  onClose: () => void | Promise<void> = () => {},
): Promise<void> {
  await app.ready();
  serve(
    (req: IncomingMessage, res: ServerResponse) => app.routing(req, res),
    async () => {
      await app.close();
      await onClose();
    },
  );
}
