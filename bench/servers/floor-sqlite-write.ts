/**
 * The write floor: the store round trip a session write needs (read the row, write it back
 * with a new expiry, in one write transaction), with nothing around it.
 */
import { expiryFromNow, FLOOR_SESSION_ID, openFloorDatabase } from "./floor-db.ts";
import { sendJson, serve } from "./serve.ts";

const db = openFloorDatabase();
const begin = db.prepare("BEGIN IMMEDIATE");
const commit = db.prepare("COMMIT");
const select = db.prepare("SELECT data FROM t WHERE id = ?");
const update = db.prepare("UPDATE t SET data = ?, expires_at = ? WHERE id = ?");
let counter = 0;

serve(
  (_req, res) => {
    begin.run();
    const row = select.get(FLOOR_SESSION_ID);
    const data = JSON.parse(String(row?.data)) as { username: string; n?: number };
    data.n = counter++;
    update.run(JSON.stringify(data), expiryFromNow(), FLOOR_SESSION_ID);
    commit.run();
    sendJson(res, 200, JSON.stringify({ username: data.username }));
  },
  () => db.close(),
);
