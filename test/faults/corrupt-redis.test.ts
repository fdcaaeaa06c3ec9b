/**
 * Corrupt records in the Redis store (the default hash layout), written with raw commands the
 * way another program or a hand edit in redis-cli would: a field that is not JSON, a creation
 * time that is not a number, and a key of the wrong type. Each request that meets one must get a
 * fresh empty session with its cookie cleared, never an error, and the requests after it must
 * be served normally; the store reports the record on `tessera:store:corrupt`.
 */
import { randomBytes } from "node:crypto";
import { after, describe, test } from "node:test";
import { createClient } from "redis";
import type { StoreCorruptMessage } from "../../src/diagnostics.ts";
import { createSessions } from "../../src/engine/manager.ts";
import { redisStore } from "../../src/stores/redis/index.ts";
import { deleteKeysUnder, ensureRedis, redisCommand } from "../support/redis-server.ts";
import { type Shape, serveFaultApp } from "./support/app.ts";
import {
  expectFreshSession,
  expectReported,
  loginWithCount,
  watchCorruptReports,
} from "./support/corruption.ts";
import { idOfCookie, watchEscapes } from "./support/visitor.ts";

const url = await ensureRedis();
const address = { host: new URL(url).hostname, port: Number(new URL(url).port || 6379) };
const prefix = `faults-corrupt-${randomBytes(4).toString("hex")}:`;

/** Each corruption: the raw commands that do it to `key`, and a piece of the garbage. */
const CORRUPTIONS: readonly {
  name: string;
  commands: (key: string) => string[][];
  marker: string;
}[] = [
  {
    name: "a field that is not JSON",
    commands: (key) => [["HSET", key, "count", "{oops-marker"]],
    marker: "oops-marker",
  },
  {
    name: "a creation time that is not a number",
    commands: (key) => [["HSET", key, "@created", "yesterday-marker"]],
    marker: "yesterday-marker",
  },
  {
    name: "a string where a hash belongs",
    commands: (key) => [
      ["DEL", key],
      ["SET", key, "string-marker", "PX", "600000"],
    ],
    marker: "string-marker",
  },
  {
    name: "a list where a hash belongs",
    commands: (key) => [
      ["DEL", key],
      ["RPUSH", key, "list-marker"],
      ["PEXPIRE", key, "600000"],
    ],
    marker: "list-marker",
  },
];

const client = await createClient({ url }).connect();
const sessions = createSessions<Shape>({
  secret: randomBytes(32).toString("base64url"),
  store: redisStore({ client, prefix }),
  // Generous: these tests are about records, not deadlines, and may run on a loaded machine.
  storeTimeout: "10s",
});
const served = await serveFaultApp(sessions);
const reports = watchCorruptReports();
const escapes = watchEscapes();
after(async () => {
  await served.close();
  await sessions.close();
  await deleteKeysUnder(address, prefix);
  client.destroy();
  reports.stop();
  escapes.stop();
});

for (const corruption of CORRUPTIONS) {
  describe(`a record with ${corruption.name}`, () => {
    let id = "";
    let seen: StoreCorruptMessage[] = [];

    test("its request gets a fresh session, the cookie cleared, and the next ones are served", async () => {
      const cookie = await loginWithCount(served.url, "ada");
      id = idOfCookie(cookie);
      for (const command of corruption.commands(`${prefix}${id}`)) {
        await redisCommand(address, ...command);
      }
      const before = reports.seen.length;
      try {
        await expectFreshSession(served.url, cookie);
      } finally {
        seen = reports.seen.slice(before);
      }
      if (escapes.escaped.length > 0) throw new Error(`escaped: ${escapes.escaped.join("; ")}`);
    });

    test("it is reported on tessera:store:corrupt", () => {
      expectReported(seen, "redis", id, corruption.marker);
    });
  });
}
