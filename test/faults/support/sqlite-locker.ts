/**
 * Another process holding an SQLite file's write lock: a child node process that opens the same
 * file with node:sqlite, takes the lock, says "held" on stdout, and keeps it until told to let
 * go. This is what a cron job, a migration or `sqlite3 sessions.db` left open at a prompt does
 * to the app beside it.
 *
 * - "exclusive": `BEGIN EXCLUSIVE`. The store keeps the file in WAL mode, where this blocks
 *   every other writer and no reader.
 * - "long-write": `BEGIN IMMEDIATE` and an UPDATE of every row of the sessions table (changing
 *   nothing), left uncommitted: a long write transaction, as a bulk job would hold.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";

export type LockMode = "exclusive" | "long-write";

const CHILD = `
import { DatabaseSync } from "node:sqlite";
const [path, mode, table] = process.argv.slice(1);
const db = new DatabaseSync(path);
// Waits for the app's own short write transactions, never fails for them.
db.exec("PRAGMA busy_timeout = 10000");
if (mode === "exclusive") db.exec("BEGIN EXCLUSIVE");
else {
  db.exec("BEGIN IMMEDIATE");
  db.exec('UPDATE "' + table + '" SET expires_at = expires_at');
}
process.stdout.write("held\\n");
process.stdin.once("data", () => {
  db.exec("COMMIT");
  db.close();
  process.stdout.write("released\\n");
  process.exit(0);
});
`;

export interface SqliteLocker {
  /** Commits and lets go; resolves once the child has exited. */
  release(): Promise<void>;
  /** Kills the child if it still runs (for `after`). */
  kill(): void;
}

export async function holdSqliteLock(
  path: string,
  mode: LockMode,
  table = "tessera_sessions",
): Promise<SqliteLocker> {
  const child: ChildProcess = spawn(
    process.execPath,
    ["--input-type=module", "-e", CHILD, path, mode, table],
    { stdio: ["pipe", "pipe", "pipe"] },
  );
  let output = "";
  let errors = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    output += String(chunk);
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    errors += String(chunk);
  });
  const exited = once(child, "exit");
  await new Promise<void>((resolve, reject) => {
    const check = (): void => {
      if (output.includes("held\n")) {
        child.stdout?.off("data", check);
        resolve();
      }
    };
    child.stdout?.on("data", check);
    exited.then(
      () => reject(new Error(`the locking process exited before it held the lock: ${errors}`)),
      reject,
    );
  });
  return {
    async release() {
      if (child.exitCode !== null) return;
      child.stdin?.write("release\n");
      const [code] = await exited;
      if (code !== 0) throw new Error(`the locking process failed to release (${code}): ${errors}`);
    },
    kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    },
  };
}
