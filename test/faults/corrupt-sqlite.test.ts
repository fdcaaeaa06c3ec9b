/**
 * Corrupt rows in the SQLite store, written straight into the file the way another program (a
 * bad migration, a hand edit, a half-restored backup) would. Each request that meets one must
 * get a fresh empty session with its cookie cleared, never an error, and the requests after it
 * must be served normally; the store reports the row on `tessera:store:corrupt`.
 *
 * The memory store has no corrupt-record test: its records live in a closure no other code can
 * reach, so nothing outside it can corrupt them.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { after, describe, test } from "node:test";
import type { StoreCorruptMessage } from "../../src/diagnostics.ts";
import { createSessions } from "../../src/engine/manager.ts";
import { sqliteStore } from "../../src/stores/sqlite.ts";
import { type Shape, serveFaultApp } from "./support/app.ts";
import {
  expectFreshSession,
  expectReported,
  loginWithCount,
  watchCorruptReports,
} from "./support/corruption.ts";
import { idOfCookie, watchEscapes } from "./support/visitor.ts";

/** Far deeper than any format tessera writes may nest (see MAX_DEPTH in the codecs). */
const DEPTH = 100_000;

/** Each corruption: what is written into the row's data column, and a piece of it to look for. */
const CORRUPTIONS: readonly { name: string; data: string | Uint8Array; marker: string }[] = [
  { name: "invalid JSON", data: '{"user":"ada","count":1,"oops', marker: "oops" },
  { name: "a JSON array", data: '["user","ada","arraymarker"]', marker: "arraymarker" },
  { name: "a JSON string", data: '"stringmarker"', marker: "stringmarker" },
  { name: "JSON null", data: "null", marker: "null" },
  { name: "a blob, not text", data: new Uint8Array([0xff, 0x00, 0x7b]), marker: "\u00ff" },
  {
    name: `an object nested ${DEPTH} levels deep`,
    data: `{"user":"ada","count":1,"deep":${"[".repeat(DEPTH)}${"]".repeat(DEPTH)}}`,
    marker: "[[[[",
  },
];

const dir = mkdtempSync(join(tmpdir(), "tessera-faults-corrupt-"));
const path = join(dir, "sessions.db");
const sessions = createSessions<Shape>({
  secret: randomBytes(32).toString("base64url"),
  store: sqliteStore({ path, sweepInterval: false }),
});
const served = await serveFaultApp(sessions);
// A second connection to the same file, as another program would open it.
const outside = new DatabaseSync(path);
const reports = watchCorruptReports();
const escapes = watchEscapes();
after(async () => {
  await served.close();
  await sessions.close();
  outside.close();
  reports.stop();
  escapes.stop();
  rmSync(dir, { recursive: true, force: true });
});

for (const corruption of CORRUPTIONS) {
  describe(`a row whose data is ${corruption.name}`, () => {
    let id = "";
    let seen: StoreCorruptMessage[] = [];

    test("its request gets a fresh session, the cookie cleared, and the next ones are served", async () => {
      const cookie = await loginWithCount(served.url, "ada");
      id = idOfCookie(cookie);
      outside.prepare("UPDATE tessera_sessions SET data = ? WHERE id = ?").run(corruption.data, id);
      const before = reports.seen.length;
      try {
        await expectFreshSession(served.url, cookie);
      } finally {
        seen = reports.seen.slice(before);
      }
      expectNoEscapes();
    });

    test("it is reported on tessera:store:corrupt", () => {
      expectReported(seen, "sqlite", id, corruption.marker);
    });
  });
}

function expectNoEscapes(): void {
  if (escapes.escaped.length > 0) throw new Error(`escaped: ${escapes.escaped.join("; ")}`);
}
