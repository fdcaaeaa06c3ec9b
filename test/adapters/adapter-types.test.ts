/**
 * What the adapters' types promise (`npm run typecheck` checks each `@ts-expect-error` below is
 * still an error): Hono's variables carry the session type, Fastify's request.session is typed
 * by declaration merging, Express's req.tessera is there, and no adapter's signature asks for
 * Flask's value types unless the sessions use format "flask".
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import express from "express";
import Fastify from "fastify";
import { Hono } from "hono";
import { expressSessions } from "../../src/adapters/express/index.ts";
import { fastifySessions } from "../../src/adapters/fastify/index.ts";
import { withSessions as fetchWithSessions } from "../../src/adapters/fetch/index.ts";
import { honoSessions, type SessionEnv } from "../../src/adapters/hono/index.ts";
import { withSessions } from "../../src/adapters/node.ts";
import { createSessions } from "../../src/engine/manager.ts";
import { memoryStore } from "../../src/stores/memory.ts";

declare module "../../src/adapters/fastify/index.ts" {
  interface SessionData {
    visits: number;
  }
}

const secret = "adapter-types-secret-0123456789abcdefghij";

test("the adapters carry the session's type", async () => {
  const sessions = createSessions<{ user: string }>({ secret, store: memoryStore() });

  const hono = new Hono<SessionEnv<{ user: string }>>();
  hono.use(honoSessions(sessions));
  hono.get("/", (c) => {
    const user: string | undefined = c.var.session.get("user");
    // @ts-expect-error: "usr" is not a key of the session type.
    c.var.session.get("usr");
    // @ts-expect-error: user holds a string.
    c.var.session.set("user", 42);
    c.var.cookies.set("theme", "dark");
    return c.json({ user: user ?? null });
  });

  const fastify = Fastify();
  await fastify.register(fastifySessions(sessions));
  fastify.get("/", async (request) => {
    const visits: number | undefined = request.session.get("visits");
    // @ts-expect-error: visits holds a number (declared on tessera/fastify's SessionData).
    request.session.set("visits", "many");
    request.session.set("visits", (visits ?? 0) + 1);
    return { visits: request.tessera.session.get("visits") ?? null };
  });
  await fastify.close();

  const app = express();
  app.use(expressSessions(sessions));
  app.get("/", (req, res) => {
    res.json({ cookies: req.tessera.cookies.all() });
  });

  // Cookie sessions in Flask's format may hold Flask's values; the adapters take them as they are.
  const flask = createSessions<{ at: Date }>({ secret, format: "flask" });
  withSessions(flask, async (_req, res, { session }) => {
    const at: Date | undefined = (await session()).get("at");
    res.end(String(at));
  });
  fetchWithSessions(flask, async (_request, { session }) =>
    Response.json({ at: (await session()).get("at") ?? null }),
  );
  assert.ok(true);
});
