/**
 * The application every fault test drives over real HTTP, through tessera/node: what a user of
 * a login site relies on, reduced to four routes.
 *
 *   POST /login?user=U&pad=N   regenerate, then user U, count 0 and N characters of padding
 *   POST /inc                  count + 1 (401 when not logged in); answers the new count
 *   GET  /state                { user, count }, null for what the session does not hold
 *   POST /logout               destroy
 */
import { createServer } from "node:http";
import { defaultOnError, withSessions } from "../../../src/adapters/node.ts";
import type { SessionManager } from "../../../src/engine/manager.ts";
import { listenNode } from "../../runtimes/listen.ts";

export interface Shape {
  user: string;
  count: number;
  pad: string;
}

/** What tessera answers for a store outage (src/engine/error-response.ts). */
export const BODY_503 =
  "503 Service Unavailable: the session store is not answering; try again shortly.\n";

export interface Served {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Serves the app on 127.0.0.1. `errors` receives every error the adapter answered for (a store
 * outage, a bug), before tessera's own answer goes out, so a test can say what the store said.
 */
export async function serveFaultApp(
  sessions: SessionManager<Shape>,
  errors: unknown[] = [],
): Promise<Served> {
  const server = createServer(
    withSessions(
      sessions,
      async (req, res, { session }) => {
        const url = new URL(req.url ?? "/", "http://app");
        const json = (status: number, body: unknown): void => {
          res.writeHead(status, { "content-type": "application/json" });
          res.end(JSON.stringify(body));
        };
        const current = await session();
        switch (`${req.method} ${url.pathname}`) {
          case "POST /login": {
            current.regenerate();
            current.set("user", url.searchParams.get("user") ?? "someone");
            current.set("count", 0);
            const pad = Number(url.searchParams.get("pad") ?? 0);
            if (pad > 0) current.set("pad", "x".repeat(pad));
            return json(200, { count: 0 });
          }
          case "POST /inc": {
            if (current.get("user") === undefined) return json(401, {});
            const count = (current.get("count") ?? 0) + 1;
            current.set("count", count);
            return json(200, { count });
          }
          case "GET /state":
            return json(200, {
              user: current.get("user") ?? null,
              count: current.get("count") ?? null,
            });
          case "POST /logout":
            current.destroy();
            return json(200, {});
          default:
            return json(404, {});
        }
      },
      {
        onError(error, req, res) {
          errors.push(error);
          defaultOnError(error, req, res);
        },
      },
    ),
  );
  const listening = await listenNode(server);
  return listening;
}
