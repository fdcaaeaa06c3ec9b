/**
 * Corrupt rows in the PostgreSQL store (tessera's jsonb table), written with plain SQL the way
 * another program or a hand edit in psql would. jsonb refuses text that is not JSON, so what can
 * go wrong is data that is JSON but not an object: an array, a string, a number, null. Each
 * request that meets one must get a fresh empty session with its cookie cleared, never an error,
 * and the requests after it must be served normally; the store reports the row on
 * `tessera:store:corrupt`.
 */
import { randomBytes } from "node:crypto";
import { after, describe, test } from "node:test";
import type { StoreCorruptMessage } from "../../src/diagnostics.ts";
import { createSessions } from "../../src/engine/manager.ts";
import { postgresStore } from "../../src/stores/postgres/index.ts";
import { testPool, uniqueTable } from "../support/postgres.ts";
import { type Shape, serveFaultApp } from "./support/app.ts";
import {
  expectFreshSession,
  expectReported,
  loginWithCount,
  watchCorruptReports,
} from "./support/corruption.ts";
import { idOfCookie, watchEscapes } from "./support/visitor.ts";

/** Each corruption: the jsonb written into the row's data, and a piece of it to look for. */
const CORRUPTIONS: readonly { name: string; data: string; marker: string }[] = [
  { name: "a JSON array", data: '["user","ada","array-marker"]', marker: "array-marker" },
  { name: "a JSON string", data: '"string-marker"', marker: "string-marker" },
  { name: "a JSON number", data: "4242424242", marker: "4242424242" },
  { name: "JSON null", data: "null", marker: "null" },
];

const table = uniqueTable("faults_corrupt");
const pool = testPool();
const sessions = createSessions<Shape>({
  secret: randomBytes(32).toString("base64url"),
  store: postgresStore({ client: pool, table, sweepInterval: false }),
  // Generous: these tests are about records, not deadlines, and may run on a loaded machine.
  storeTimeout: "10s",
});
const served = await serveFaultApp(sessions);
const reports = watchCorruptReports();
const escapes = watchEscapes();
after(async () => {
  await served.close();
  await sessions.close();
  await pool.query(`DROP TABLE IF EXISTS ${table}`);
  await pool.end();
  reports.stop();
  escapes.stop();
});

for (const corruption of CORRUPTIONS) {
  describe(`a row whose data is ${corruption.name}`, () => {
    let id = "";
    let seen: StoreCorruptMessage[] = [];

    test("its request gets a fresh session, the cookie cleared, and the next ones are served", async () => {
      const cookie = await loginWithCount(served.url, "ada");
      id = idOfCookie(cookie);
      await pool.query(`UPDATE ${table} SET data = $1::jsonb WHERE id = $2`, [corruption.data, id]);
      const before = reports.seen.length;
      try {
        await expectFreshSession(served.url, cookie);
      } finally {
        seen = reports.seen.slice(before);
      }
      if (escapes.escaped.length > 0) throw new Error(`escaped: ${escapes.escaped.join("; ")}`);
    });

    test("it is reported on tessera:store:corrupt", () => {
      expectReported(seen, "postgres", id, corruption.marker);
    });
  });
}
