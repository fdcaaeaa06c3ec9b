/**
 * The PostgreSQL read floor: the one statement a session read sends (postgresStore's own
 * `SELECT data::text, … FROM <table> WHERE id = $1 AND expires_at > …`, recorded from the store
 * by postgres-statements.ts, with the same parameters) and the JSON.parse of its data, with
 * nothing around it, on the same pg Pool settings every PostgreSQL contender uses. Each connection
 * of the load reads a row of its own, as each gets a session of its own from the others.
 */
import {
  benchTable,
  connectPool,
  dropTableAndEnd,
  rowOf,
  seedFloorTable,
} from "./postgres-pool.ts";
import { storeStatements } from "./postgres-statements.ts";
import { sendJson, serve } from "./serve.ts";

const table = benchTable();
const { read } = await storeStatements(table);
const pool = connectPool();
const ids = await seedFloorTable(pool, table);

serve(
  (req, res) => {
    const id = rowOf(req, ids);
    pool.query(read.query(id, Date.now())).then(
      ({ rows }) => {
        const row = rows[0] as { data: string } | undefined;
        if (row === undefined) return sendJson(res, 500, JSON.stringify({ error: "no row" }));
        // Built from the row, as the app builds it from the session, so the read counts.
        const data = JSON.parse(row.data) as { username: string };
        sendJson(res, 200, JSON.stringify({ username: data.username }));
      },
      (error: unknown) => sendJson(res, 500, JSON.stringify({ error: String(error) })),
    );
  },
  () => dropTableAndEnd(pool, table),
);
