/**
 * The store a `--store URL` names, opened for the command line: `sqlite:PATH`, `redis://` or
 * `rediss://`, `postgres://`. Drivers are loaded only for the store asked for (they are the
 * package's optional peers), and the command never creates what is not there: a missing SQLite
 * file or PostgreSQL table is "unreachable", not a new empty store.
 */
import { existsSync } from "node:fs";
import type { SessionStore } from "../stores/contract.ts";
import { CliError, EXIT } from "./exit.ts";

export interface StoreSettings {
  /** Redis: the key prefix (default "session:"). */
  readonly prefix?: string | undefined;
  /** SQLite and PostgreSQL: the table. */
  readonly table?: string | undefined;
  /** Redis and PostgreSQL: "flask-session" for Flask-Session's records. */
  readonly layout?: string | undefined;
  /** The session key that holds the user's id, for revoke-user (default "username"). */
  readonly userKey?: string | undefined;
}

export interface OpenedStore {
  readonly store: SessionStore;
  /** Where the sessions are, without credentials, for messages. */
  readonly where: string;
  close(): Promise<void>;
}

const CONNECT_TIMEOUT_MS = 5_000;
const USAGE = "use sqlite:PATH, redis://HOST:PORT[/DB], rediss://… or postgres://USER@HOST/DB";

/** `option` names the flag the URL came from, for messages ("--store", "--to"). */
export async function openStore(
  url: string,
  settings: StoreSettings,
  option = "--store",
): Promise<OpenedStore> {
  if (url.startsWith("sqlite:")) return openSqlite(url.slice("sqlite:".length), settings, option);
  const parsed = parseUrl(url, option, USAGE);
  if (parsed.protocol === "redis:" || parsed.protocol === "rediss:") {
    return openRedis(url, parsed, settings);
  }
  if (parsed.protocol === "postgres:" || parsed.protocol === "postgresql:") {
    return openPostgres(url, parsed, settings);
  }
  throw new CliError(
    `${option} ${parsed.protocol}// is not a store tessera knows: ${USAGE}.`,
    EXIT.usage,
  );
}

/** A URL given on the command line, or a usage error naming `option` and what it takes. */
export function parseUrl(url: string, option: string, expected: string): URL {
  try {
    return new URL(url);
  } catch {
    throw new CliError(`${option} is not a URL tessera knows: ${expected}.`, EXIT.usage);
  }
}

async function openSqlite(
  path: string,
  settings: StoreSettings,
  option: string,
): Promise<OpenedStore> {
  if (path === "")
    throw new CliError(`${option} sqlite: needs a path: sqlite:data/sessions.db.`, EXIT.usage);
  if (!existsSync(path)) {
    throw new CliError(
      `no SQLite database at ${path}: check the path (the command creates none).`,
      EXIT.unreachable,
    );
  }
  const { sqliteStore } = await import("../stores/sqlite.ts");
  const store = sqliteStore({
    path,
    sweepInterval: false,
    ...(settings.table === undefined ? {} : { table: settings.table }),
    // Only when asked: indexing by user makes every write of the app's store a little dearer,
    // a choice for the app (sqliteStore's userKey), not a side effect of a command.
    ...(settings.userKey === undefined ? {} : { userKey: settings.userKey }),
  });
  return { store, where: `sqlite:${path}`, close: () => store.close() };
}

/** A connected node-redis client for `url`, or "did not answer" (unreachable). */
export async function connectRedisClient(url: string, parsed: URL) {
  const where = redisWhere(parsed);
  const { createClient } = await importPeer<typeof import("redis")>("redis", "redis");
  const client = createClient({
    url,
    socket: { connectTimeout: CONNECT_TIMEOUT_MS, reconnectStrategy: false },
  });
  let lastError: string | undefined;
  client.on("error", (error: unknown) => {
    lastError = error instanceof Error ? error.message : String(error);
  });
  try {
    await client.connect();
  } catch (error) {
    client.destroy();
    throw new CliError(
      `Redis at ${where} did not answer: ${lastError ?? (error instanceof Error ? error.message : String(error))}.`,
      EXIT.unreachable,
    );
  }
  return { client, where };
}

/** A Redis URL without its credentials, for messages. */
export function redisWhere(parsed: URL): string {
  return `${parsed.protocol}//${parsed.hostname}:${parsed.port || "6379"}${parsed.pathname === "/" ? "" : parsed.pathname}`;
}

async function openRedis(url: string, parsed: URL, settings: StoreSettings): Promise<OpenedStore> {
  const { client, where } = await connectRedisClient(url, parsed);
  const { redisStore } = await import("../stores/redis/index.ts");
  const store = redisStore({
    client,
    userKey: settings.userKey ?? "username",
    ...(settings.prefix === undefined ? {} : { prefix: settings.prefix }),
    ...(settings.layout === undefined ? {} : { layout: settings.layout as "hash" }),
  });
  return {
    store,
    where,
    async close() {
      await store.close();
      await client.close().catch(() => client.destroy());
    },
  };
}

/** A pg pool for `url` (it connects on first use), its errors left to the queries. */
export async function postgresPool(url: string, parsed: URL) {
  const where = postgresWhere(parsed);
  const pg = await importPeer<typeof import("pg")>("pg", "pg");
  const pool = new pg.default.Pool({
    connectionString: url,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    max: 2,
  });
  pool.on("error", () => {});
  return { pool, where };
}

/** A PostgreSQL URL without its credentials, for messages. */
export function postgresWhere(parsed: URL): string {
  return `postgres://${parsed.hostname}:${parsed.port || "5432"}${parsed.pathname}`;
}

async function openPostgres(
  url: string,
  parsed: URL,
  settings: StoreSettings,
): Promise<OpenedStore> {
  const { pool, where } = await postgresPool(url, parsed);
  const { postgresStore } = await import("../stores/postgres/index.ts");
  const flaskSession = settings.layout === "flask-session";
  const store = postgresStore({
    client: pool,
    createTable: false,
    sweepInterval: false,
    ...(settings.table === undefined ? {} : { table: settings.table }),
    ...(flaskSession
      ? { layout: "flask-session" as const }
      : { userKey: settings.userKey ?? "username" }),
  });
  return {
    store,
    where,
    async close() {
      await store.close();
      await pool.end().catch(() => {});
    },
  };
}

/** An optional peer dependency, or a one-line error saying which package to install. */
async function importPeer<T>(name: string, store: string): Promise<T> {
  try {
    return (await import(name)) as T;
  } catch {
    throw new CliError(
      `the ${store} store needs the "${name}" package: npm install ${name}.`,
      EXIT.usage,
    );
  }
}
