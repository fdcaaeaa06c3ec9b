/**
 * The PostgreSQL write floor: the statements a session write sends, with nothing around them,
 * on the same pg Pool settings every PostgreSQL contender uses. A write to a session first reads
 * it (the app checks who is logged in), so a request here is postgresStore's own read
 * (`SELECT data::text, …`) and then its own one-key write (`UPDATE … SET data = (data - $2) ||
 * $3 … WHERE id = $1 AND expires_at > …`), both recorded from the store by
 * postgres-statements.ts and sent with the same parameters, one after the other, as the
 * session-write contenders send them. Each connection of the load writes a row of its own, as
 * each gets a session of its own from the others.
 */
import {
  benchTable,
  connectPool,
  dropTableAndEnd,
  rowOf,
  seedFloorTable,
  THIRTY_ONE_DAYS_MS,
} from "./postgres-pool.ts";
import { storeStatements } from "./postgres-statements.ts";
import { sendJson, serve } from "./serve.ts";

const table = benchTable();
const { read, write } = await storeStatements(table);
const pool = connectPool();
const ids = await seedFloorTable(pool, table);
let counter = 0;

async function readThenWrite(id: string): Promise<string> {
  const { rows } = await pool.query(read.query(id, Date.now()));
  const row = rows[0] as { data: string } | undefined;
  if (row === undefined) throw new Error("no row");
  const data = JSON.parse(row.data) as { username: string };
  const now = Date.now();
  const { rowCount } = await pool.query(write.query(id, counter++, now + THIRTY_ONE_DAYS_MS, now));
  if (rowCount !== 1) throw new Error(`the UPDATE changed ${String(rowCount)} rows, not 1`);
  return data.username;
}

serve(
  (req, res) => {
    readThenWrite(rowOf(req, ids)).then(
      (username) => sendJson(res, 200, JSON.stringify({ username })),
      (error: unknown) => sendJson(res, 500, JSON.stringify({ error: String(error) })),
    );
  },
  () => dropTableAndEnd(pool, table),
);
