import pg from "pg";
import { ConfigError, StoreUnavailableError } from "../src/errors.ts";
import { type PostgresStore, postgresStore } from "../src/stores/postgres/index.ts";
import { postgresRecordReader, type RecordReader } from "./inspect/record.ts";

/** How long the start waits for PostgreSQL before it gives up with a message. */
const CONNECT_TIMEOUT_MS = 5_000;

export interface DemoPostgres {
  readonly store: PostgresStore;
  /** `postgres://host:port/database`: where the sessions are, without the credentials. */
  readonly where: string;
  /** The session's row as psql shows it, for /inspect. */
  readonly readRecord: RecordReader;
  /** Checks that PostgreSQL answers (and makes the table); rejects with a one-line error. */
  connect(): Promise<void>;
  /** Ends the pool, after the sessions have been closed. */
  close(): Promise<void>;
}

/** Whether SESSION_STORE names a PostgreSQL database. */
export function isPostgresSetting(setting: string): boolean {
  return /^postgres(ql)?:\/\//i.test(setting);
}

/**
 * The PostgreSQL store for SESSION_STORE=postgres://[user[:password]@]HOST[:PORT]/DATABASE, on a
 * pg Pool the demo owns (the store never ends a client, the app does). Sessions live in the
 * table tessera_sessions, made on first use; they know their user by the `username` key, so
 * the store can revoke them all.
 */
export function openPostgres(setting: string): DemoPostgres {
  const where = postgresLocation(setting);
  const pool = new pg.Pool({
    connectionString: setting,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
  });
  let down = false;
  // The store listens for "error" too, but stops when it is closed and the pool lives on until
  // it ends: without a listener an "error" event would end the process.
  pool.on("error", (error) => {
    if (down) return;
    down = true;
    console.error(
      `tessera demo: lost a PostgreSQL connection at ${where} (${error.message}); session requests get 503 until it is back.`,
    );
  });
  pool.on("connect", () => {
    if (!down) return;
    down = false;
    console.log(`tessera demo: PostgreSQL at ${where} is back.`);
  });
  const store = postgresStore({ client: pool, userKey: "username" });

  return {
    store,
    where,
    readRecord: postgresRecordReader(pool, "tessera_sessions", where),
    async connect() {
      try {
        // Listing nothing makes the table, so the first visitor does not wait for it.
        for await (const _ of store.list({ limit: 1 })) break;
      } catch (error) {
        await pool.end().catch(() => {});
        throw new StoreUnavailableError(
          "connect",
          `could not use PostgreSQL at ${where}: ${error instanceof Error ? error.message : String(error)}. Start PostgreSQL there, or set SESSION_STORE to another store.`,
          { cause: error },
        );
      }
    },
    async close() {
      await pool.end().catch(() => {});
    },
  };
}

/**
 * `postgres://host:port/database` for messages: never the user name or the password. A
 * malformed setting is a ConfigError that does not repeat it either.
 */
export function postgresLocation(setting: string): string {
  const usage =
    "use postgres://USER@HOST:PORT/DATABASE (or postgres://USER:PASSWORD@HOST:PORT/DATABASE)";
  let url: URL;
  try {
    url = new URL(setting);
  } catch {
    throw new ConfigError(`SESSION_STORE is not a valid PostgreSQL URL: ${usage}.`);
  }
  if (url.hostname === "") {
    throw new ConfigError(`SESSION_STORE ${url.protocol}// needs a host: ${usage}.`);
  }
  const database = decodeURIComponent(url.pathname.slice(1));
  return `postgres://${url.hostname}:${url.port || "5432"}/${database}`;
}
