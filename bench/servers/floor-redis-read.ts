/**
 * The Redis read floor: the one round trip a session read needs (a GET of the JSON record) and
 * its JSON.parse, with nothing around it, on the same client the Redis contenders use.
 */
import {
  cleanUpAndClose,
  connectRedis,
  type FloorRecord,
  seedFloorRecord,
} from "./redis-client.ts";
import { sendJson, serve } from "./serve.ts";

const client = await connectRedis();
const key = await seedFloorRecord(client);

serve(
  (_req, res) => {
    client.get(key).then(
      (json) => {
        const record = JSON.parse(String(json)) as FloorRecord;
        // Built from the record, as the app builds it from the session, so the read counts.
        sendJson(res, 200, JSON.stringify({ username: record.data.username }));
      },
      (error: unknown) => sendJson(res, 500, JSON.stringify({ error: String(error) })),
    );
  },
  () => cleanUpAndClose(client),
);
