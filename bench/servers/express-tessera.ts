/**
 * tessera in Express, as someone porting from express-session runs it: Express 5 set up as for
 * every Express contender (express-common.ts), `app.use(expressSessions(createSessions({ secret,
 * store })))` on the store BENCH_STORE names (store-from-env.ts: redisStore on a node-redis
 * client, as the express-session peer's, or memoryStore for the adapter's own cost), the routes
 * written against express-session's `req.session` (express-routes.ts, picked by BENCH_WORKLOAD).
 *
 * `req.session` is typed by @types/express-session, whose SessionData the peer's setup
 * (express-session-setup.ts) extends with `username` and `n`, as a ported app keeps its types.
 */
import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { expressSessions } from "../../src/adapters/express/index.ts";
import { createSessions } from "../../src/engine/manager.ts";
import { createExpressApp } from "./express-common.ts";
import { addSessionRoutes } from "./express-routes.ts";
import { benchWorkload, serve } from "./serve.ts";
import { storeFromEnv } from "./store-from-env.ts";

const workload = benchWorkload();
const { store, release } = await storeFromEnv();
const sessions = createSessions({ secret: randomBytes(32).toString("base64url"), store });
const app = createExpressApp();
app.use(expressSessions(sessions));

addSessionRoutes(app, workload);

serve(
  (req: IncomingMessage, res: ServerResponse) => app(req, res),
  async () => {
    await sessions.close();
    await release();
  },
);
