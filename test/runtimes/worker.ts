/**
 * The shared test app as a Cloudflare Worker, for workerd through Miniflare: a Hono app or a
 * bare fetch handler (binding SERVER) over the cookie sessions the CONFIG binding describes.
 * The sessions are made on the first request (a Worker may not use timers or randomness while
 * its module loads); a configuration the runtime cannot serve answers 500 with the startup
 * error's message, so the tests can read it.
 */
import { createSessions } from "../../src/engine/manager.ts";
import type { SessionOptions } from "../../src/engine/options.ts";
import type { SessionValue } from "../../src/session/session.ts";
import { fetchTestHandler, honoTestApp } from "../adapters/web-apps.ts";
import { PROBE_PATH } from "../behaviour/app.ts";

interface Env {
  readonly CONFIG: string;
  readonly SERVER: string;
}

const logged: string[] = [];
const writeError = console.error.bind(console);
console.error = (...args: unknown[]) => {
  logged.push(args.map((arg) => (arg instanceof Error ? `${arg.stack}` : String(arg))).join(" "));
  writeError(...args);
};

let handler: ((request: Request) => Promise<Response>) | undefined;

function build(env: Env): (request: Request) => Promise<Response> {
  const manager = createSessions<Record<string, SessionValue>>(
    JSON.parse(env.CONFIG).options as SessionOptions,
  );
  return env.SERVER === "Hono" ? honoTestApp(manager) : fetchTestHandler(manager);
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    if (new URL(request.url).pathname === PROBE_PATH) {
      return Response.json({ result: logged.splice(0) });
    }
    try {
      handler ??= build(env);
    } catch (error) {
      return new Response(`startup failed: ${String(error)}`, { status: 500 });
    }
    return handler(request);
  },
};
