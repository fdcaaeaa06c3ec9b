/**
 * The Redis write floor: the round trips a session write needs when done the plain way (GET the
 * JSON record, change it, SET it back with a new PX expiry), with nothing around it, on the
 * same client the Redis contenders use. Not atomic: a floor, not a store.
 */
import {
  cleanUpAndClose,
  connectRedis,
  type FloorRecord,
  seedFloorRecord,
  THIRTY_ONE_DAYS_MS,
} from "./redis-client.ts";
import { sendJson, serve } from "./serve.ts";

const client = await connectRedis();
const key = await seedFloorRecord(client);
let counter = 0;

async function readModifyWrite(): Promise<string> {
  const record = JSON.parse(String(await client.get(key))) as FloorRecord;
  record.data.n = counter++;
  record.expiresAt = Date.now() + THIRTY_ONE_DAYS_MS;
  await client.set(key, JSON.stringify(record), {
    expiration: { type: "PX", value: THIRTY_ONE_DAYS_MS },
  });
  return record.data.username;
}

serve(
  (_req, res) => {
    readModifyWrite().then(
      (username) => sendJson(res, 200, JSON.stringify({ username })),
      (error: unknown) => sendJson(res, 500, JSON.stringify({ error: String(error) })),
    );
  },
  () => cleanUpAndClose(client),
);
