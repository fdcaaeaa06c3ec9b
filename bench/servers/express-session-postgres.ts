/**
 * The peer to beat on PostgreSQL: Express 5 + express-session + connect-pg-simple 10, on the same
 * pg Pool settings (postgres-pool.ts) and database as tessera's PostgreSQL contenders, set up as
 * their READMEs recommend (express-session-setup.ts: resave false, saveUninitialized false, a
 * secret, an httpOnly cookie lasting tessera's default lifetime; connect-pg-simple given the
 * application's pool, its other options at their defaults), with the routes every Express
 * session contender serves (express-routes.ts, picked by BENCH_WORKLOAD). A read is
 * connect-pg-simple's `SELECT sess …` and then the `UPDATE … SET expire` of the touch
 * express-session sends on every unmodified request; a write is the `SELECT` and then its
 * `INSERT … ON CONFLICT (sid) DO UPDATE` of the whole session.
 *
 * The table is connect-pg-simple's (its table.sql: sid varchar primary key, sess json, expire
 * timestamp(6), an index on expire), created here at startup under this server's own name,
 * with the constraint and index named after it (table.sql's fixed names would clash between
 * servers), and dropped when the server stops.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import connectPgSimple from "connect-pg-simple";
import session from "express-session";
import { createExpressApp } from "./express-common.ts";
import { addSessionRoutes } from "./express-routes.ts";
import { expressSessionOn } from "./express-session-setup.ts";
import { benchTable, connectPool, dropTableAndEnd } from "./postgres-pool.ts";
import { benchWorkload, serve } from "./serve.ts";

const workload = benchWorkload();
const pool = connectPool();
const table = benchTable();
await pool.query(`
  CREATE TABLE ${table} (
    sid varchar NOT NULL COLLATE "default",
    sess json NOT NULL,
    expire timestamp(6) NOT NULL,
    CONSTRAINT ${table}_pkey PRIMARY KEY (sid)
  );
  CREATE INDEX ${table}_expire ON ${table} (expire);
`);
const PGStore = connectPgSimple(session);
const store = new PGStore({ pool, tableName: table });
const app = createExpressApp();
app.use(expressSessionOn(store));
addSessionRoutes(app, workload);

serve(
  (req: IncomingMessage, res: ServerResponse) => app(req, res),
  async () => {
    store.close();
    await dropTableAndEnd(pool, table);
  },
);
