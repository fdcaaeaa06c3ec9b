/** The soak's Redis keys live under a prefix of its own, deleted when the store's run ends. */
import { createClient } from "redis";

export async function clearPrefix(url: string, prefix: string): Promise<void> {
  const client = createClient({ url });
  client.on("error", () => {}); // a failed command still rejects below
  await client.connect();
  try {
    for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 10_000 })) {
      if (keys.length > 0) await client.unlink(keys);
    }
  } finally {
    await client.close();
  }
}
