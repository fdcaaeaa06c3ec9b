/**
 * tessera in Express on PostgreSQL, as someone porting from express-session runs it: Express 5
 * set up as for every Express contender (express-common.ts), `app.use(expressSessions(
 * createSessions({ secret, store: postgresStore({ client: pool, table }) })))`, and the routes
 * every Express session contender serves (express-routes.ts, picked by BENCH_WORKLOAD). Same
 * pg Pool settings (postgres-pool.ts) and database as the express-session + connect-pg-simple
 * peer (express-session-postgres.ts); its own table, created by the store on first use (the
 * parent's login or GET /start, before any load) and dropped when the server stops.
 */
import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { expressSessions } from "../../src/adapters/express/index.ts";
import { createSessions } from "../../src/engine/manager.ts";
import { postgresStore } from "../../src/stores/postgres/index.ts";
import { createExpressApp } from "./express-common.ts";
import { addSessionRoutes } from "./express-routes.ts";
import { benchTable, connectPool, dropTableAndEnd } from "./postgres-pool.ts";
import { benchWorkload, serve } from "./serve.ts";

const workload = benchWorkload();
const pool = connectPool();
const table = benchTable();
const sessions = createSessions({
  secret: randomBytes(32).toString("base64url"),
  store: postgresStore({ client: pool, table }),
});
const app = createExpressApp();
app.use(expressSessions(sessions));
addSessionRoutes(app, workload);

serve(
  (req: IncomingMessage, res: ServerResponse) => app(req, res),
  async () => {
    await sessions.close();
    await dropTableAndEnd(pool, table);
  },
);
