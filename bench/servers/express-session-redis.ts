/**
 * The peer to beat on Redis: Express 5 + express-session + connect-redis on the same node-redis
 * client and Redis as tessera's Redis contenders, set up the way its READMEs recommend (resave
 * false, saveUninitialized false, a secret, an httpOnly cookie that lasts as long as tessera's
 * default lifetime), with the routes every Express session contender serves (express-routes.ts,
 * picked by BENCH_WORKLOAD): a read is POST /login once and then GET /api/me, after which
 * express-session touches the record (an EXPIRE), as it does on every unmodified request; a
 * write is GET /start once and then GET /write, which sets one key.
 *
 * Express is set up as for every Express contender (express-common.ts: ETag and X-Powered-By
 * off), so this and express-tessera.ts differ only in the session middleware.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { createExpressApp } from "./express-common.ts";
import { addSessionRoutes } from "./express-routes.ts";
import { expressSession } from "./express-session-setup.ts";
import { cleanUpAndClose, connectRedis } from "./redis-client.ts";
import { benchWorkload, serve } from "./serve.ts";

const workload = benchWorkload();
const client = await connectRedis();
const app = createExpressApp();
app.use(expressSession(client));

addSessionRoutes(app, workload);

serve(
  (req: IncomingMessage, res: ServerResponse) => app(req, res),
  () => cleanUpAndClose(client),
);
