/**
 * The statements the PostgreSQL floors send: the very ones postgresStore sends for a session
 * read (`store.get`) and for a write of one key to a loaded session (`store.apply` with
 * `mustExist`), recorded from the store itself at startup, so the floors do the same database
 * work as the store with none of the session logic, and follow the store when its SQL changes.
 * The floors build each request's parameters themselves; at startup those are checked against
 * the ones the store sent for the same call, and a floor that no longer matches the store
 * refuses to start instead of measuring something else.
 *
 * The floors name their statements with the names the store gives them (`{ name, text, values }`),
 * as the store does by default, so pg prepares each once per connection and then sends only Bind
 * and Execute. With BENCH_PG_UNNAMED=1 they send them unnamed, as the store with
 * `prepare: false` (and connect-pg-simple) does: PostgreSQL then parses and plans every call.
 */
import { deepStrictEqual } from "node:assert";
import { postgresStore } from "../../src/stores/postgres/index.ts";

export interface Statement<Args extends unknown[]> {
  /** The SQL text, byte for byte as the store sends it. */
  readonly text: string;
  /** The parameters the store sends for these arguments. */
  values(...args: Args): unknown[];
  /** The query for pg: text, values, and the store's name unless BENCH_PG_UNNAMED=1. */
  query(...args: Args): { name?: string; text: string; values: unknown[] };
}

export interface StoreStatements {
  /** `store.get(id)` at `now`. */
  readonly read: Statement<[id: string, now: number]>;
  /** `store.apply(id, { set: { n } }, { expiresAt, mustExist: true })` at `now`. */
  readonly write: Statement<[id: string, n: number, expiresAt: number, now: number]>;
}

interface Sent {
  readonly name: string | undefined;
  readonly text: string;
  readonly values: readonly unknown[];
}

/** Records what postgresStore sends on `table`, through a stand-in for a pg Pool. */
export async function storeStatements(table: string): Promise<StoreStatements> {
  const sent: Sent[] = [];
  const recorder = {
    idleCount: 0, // what the store takes for a Pool
    query(config: { name?: string; text: string; values?: unknown[] }) {
      sent.push({ name: config.name, text: config.text, values: config.values ?? [] });
      return Promise.resolve({ rows: [], rowCount: 1 });
    },
    on: () => recorder,
    removeListener: () => recorder,
  };
  const store = postgresStore({
    client: recorder,
    table,
    createTable: false,
    sweepInterval: false,
  });
  const id = "recorded-session-id";
  const now = 1_800_000_000_000;
  const expiresAt = now + 1_000;
  const n = 7;
  const realNow = Date.now;
  Date.now = () => now;
  try {
    await store.get(id);
    await store.apply(
      id,
      { clear: false, set: new Map([["n", n]]), delete: new Set() },
      { expiresAt, createdAt: now, mustExist: true },
    );
  } finally {
    Date.now = realNow;
    await store.close();
  }
  const [read, write] = sent;
  if (read === undefined || write === undefined || sent.length !== 2) {
    throw new Error(
      `postgresStore sent ${sent.length} statements for a get and an apply, not one each; the floors need updating.`,
    );
  }
  const statements: StoreStatements = {
    read: statement(read, (readId, readNow) => [readId, readNow]),
    // $1 id, $2 the keys deleted (text[]), $3 the keys set (jsonb text), $4 cleared,
    // $5 expiresAt, $6 now: tessera-table.ts's updateLive.
    write: statement(write, (writeId, value, writeExpiresAt, writeNow) => [
      writeId,
      "{}",
      JSON.stringify({ n: value }),
      false,
      writeExpiresAt,
      writeNow,
    ]),
  };
  try {
    deepStrictEqual(read.values, statements.read.values(id, now));
    deepStrictEqual(write.values, statements.write.values(id, n, expiresAt, now));
  } catch (error) {
    throw new Error(
      `postgresStore's parameters no longer match the floors' (bench/servers/postgres-statements.ts): ${String(error)}`,
      { cause: error },
    );
  }
  return statements;
}

function statement<Args extends unknown[]>(
  sent: Sent,
  values: (...args: Args) => unknown[],
): Statement<Args> {
  const { name, text } = sent;
  if (name === undefined) {
    throw new Error("postgresStore sent an unnamed statement; the floors expect it to name them.");
  }
  const query =
    process.env.BENCH_PG_UNNAMED === "1"
      ? (...args: Args) => ({ text, values: values(...args) })
      : (...args: Args) => ({ name, text, values: values(...args) });
  return { text, values, query };
}
