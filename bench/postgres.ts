/**
 * The PostgreSQL the PostgreSQL contenders share, found once by the parent: BENCH_DATABASE_URL,
 * else DATABASE_URL, else the local server (postgres://postgres@127.0.0.1:5432/postgres, trust
 * authentication, as the tests use). It must answer before any server starts. Each server gets
 * a table of its own, named after the run and the contender (`bench_<pid>_<contender>`), and
 * drops it when it stops; at the end of the run the parent drops any such table a server left
 * behind (one killed before it could clean up), so a run leaves no tables in the database.
 */
import pg from "pg";

export interface RunPostgres {
  /** What the servers connect to (BENCH_DATABASE_URL in their env); never reported. */
  readonly url: string;
  /** The URL without its password, for the report. */
  readonly shownUrl: string;
  /** The server's version (`server_version`), for the report. */
  readonly version: string;
}

const CONNECT_TIMEOUT_MS = 3_000;
/** Every table of this run starts with this (an unquoted identifier, so lower case). */
const RUN_PREFIX = `bench_${process.pid}_`;

export function databaseUrlForRun(): string {
  return (
    process.env.BENCH_DATABASE_URL ||
    process.env.DATABASE_URL ||
    "postgres://postgres@127.0.0.1:5432/postgres"
  );
}

/** Connects once: the server's version, or an error that says what to do. */
export async function postgresForRun(): Promise<RunPostgres> {
  const url = databaseUrlForRun();
  const client = new pg.Client({
    connectionString: url,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
  });
  try {
    await client.connect();
    const { rows } = await client.query<{ server_version: string }>("SHOW server_version");
    return { url, shownUrl: redacted(url), version: rows[0]?.server_version ?? "unknown" };
  } catch (error) {
    throw new Error(
      `the PostgreSQL contenders need a PostgreSQL server, and none answered at ${redacted(url)} (${String(error)}). Start one or set BENCH_DATABASE_URL (or DATABASE_URL), or leave them out with BENCH_ONLY.`,
      { cause: error },
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The table a contender's server uses: this run's prefix and the contender's name. */
export function tableForContender(name: string): string {
  const table = `${RUN_PREFIX}${name.toLowerCase().replaceAll(/[^a-z0-9]+/g, "_")}`;
  // Index names add up to 11 characters (`_expires_at`) to the table's; PostgreSQL cuts
  // identifiers at 63, which could make two of them the same.
  if (table.length > 52) throw new Error(`contender name ${name} is too long for a table name.`);
  return table;
}

/** Drops every table of this run still there; resolves to their names. */
export async function dropRunTables(url: string = databaseUrlForRun()): Promise<string[]> {
  const client = new pg.Client({
    connectionString: url,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
  });
  await client.connect();
  try {
    const { rows } = await client.query<{ name: string }>(
      `SELECT quote_ident(schemaname) || '.' || quote_ident(tablename) AS name
         FROM pg_tables WHERE starts_with(tablename, $1)`,
      [RUN_PREFIX],
    );
    for (const { name } of rows) await client.query(`DROP TABLE IF EXISTS ${name}`);
    return rows.map(({ name }) => name);
  } finally {
    await client.end();
  }
}

/** The URL without its password, for the report and messages. */
function redacted(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== "") parsed.password = "***";
    return parsed.href;
  } catch {
    return "(a connection string that is not a URL)";
  }
}
