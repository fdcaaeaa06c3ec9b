/** The read floor: the one store round trip a session read needs, with nothing around it. */
import { FLOOR_SESSION_ID, openFloorDatabase } from "./floor-db.ts";
import { sendJson, serve } from "./serve.ts";

const db = openFloorDatabase();
const select = db.prepare("SELECT data FROM t WHERE id = ?");

serve(
  (_req, res) => {
    const row = select.get(FLOOR_SESSION_ID);
    const data = JSON.parse(String(row?.data)) as { username: string };
    // Built from the row, as the app builds it from the session, so the read cannot be skipped.
    sendJson(res, 200, JSON.stringify({ username: data.username }));
  },
  () => db.close(),
);
