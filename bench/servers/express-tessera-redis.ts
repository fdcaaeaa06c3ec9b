/**
 * tessera in Express, as someone porting from express-session runs it: Express 5 set up as for
 * every Express contender (express-common.ts), `app.use(expressSessions(createSessions({ secret,
 * store: redisStore({ client, prefix }) })))`, the routes written against express-session's
 * `req.session`. Same routes (express-routes.ts, picked by BENCH_WORKLOAD), Redis and node-redis
 * client as the express-session peer (express-session-redis.ts).
 *
 * `req.session` is typed by @types/express-session, whose SessionData the peer's setup
 * (express-session-setup.ts) extends with `username` and `n`, as a ported app keeps its types.
 */
import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { expressSessions } from "../../src/adapters/express/index.ts";
import { createSessions } from "../../src/engine/manager.ts";
import { redisStore } from "../../src/stores/redis/index.ts";
import { createExpressApp } from "./express-common.ts";
import { addSessionRoutes } from "./express-routes.ts";
import { cleanUpAndClose, connectRedis, KEY_PREFIX } from "./redis-client.ts";
import { benchWorkload, serve } from "./serve.ts";

const workload = benchWorkload();
const client = await connectRedis();
const sessions = createSessions({
  secret: randomBytes(32).toString("base64url"),
  store: redisStore({ client, prefix: KEY_PREFIX }),
});
const app = createExpressApp();
app.use(expressSessions(sessions));

addSessionRoutes(app, workload);

serve(
  (req: IncomingMessage, res: ServerResponse) => app(req, res),
  async () => {
    await sessions.close();
    await cleanUpAndClose(client);
  },
);
