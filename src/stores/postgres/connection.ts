/**
 * One face for the PostgreSQL clients applications already have: a `pg` Pool or Client (node-postgres)
 * or a `postgres` (porsager) `sql` instance. The store sends parameterised text and reads rows
 * back; it imports neither library, so an application installs only the one it uses.
 *
 * Statements are named (server-side prepared) unless `prepare` is false: PostgreSQL then parses
 * and plans each of the store's few statements once per connection instead of on every call,
 * which is much of a session read's cost in the server. A pooler that hands each transaction a
 * different server connection (PgBouncer in transaction mode before 1.21) loses track of named
 * statements; the first call that meets that (SQLSTATE 26000 or 42P05: nothing ran) switches
 * this connection to unnamed statements for good and is sent again, so such a pooler costs one
 * retried call, not an outage. Scripts (the table's DDL) are never named.
 */
import { createHash } from "node:crypto";
import { ConfigError } from "../../errors.ts";

/** A row as both drivers return it for the store's queries: column names to values. */
export type Row = Readonly<Record<string, unknown>>;

/** A statement parameter: the store sends only these, which both drivers send alike. */
export type Parameter = string | number | boolean | null;

export interface QueryResult {
  readonly rows: readonly Row[];
  /** Rows inserted, updated or deleted (or returned, for a SELECT). */
  readonly rowCount: number;
}

export interface PostgresConnection {
  /** "pg" or "postgres", for messages. */
  readonly library: string;
  /** One parameterised statement. */
  query(text: string, values: readonly Parameter[]): Promise<QueryResult>;
  /** Several statements without parameters, sent as one script (one implicit transaction). */
  script(text: string): Promise<void>;
  /** The last connection error the client reported, for messages. */
  lastError(): string | undefined;
  /** Stops listening to the client (the client itself stays open: it belongs to the app). */
  release(): void;
}

// The structural shapes the store relies on, loose on purpose: both libraries type their clients
// with overloads and generics, and the store must accept every variant of them. Anything else
// (a Redis client, a connection string) is a compile error.

/** node-postgres: `new Pool()`, `new Client()` (connected) or a checked-out PoolClient. */
export interface PgClientLike {
  query(config: { text: string; values?: unknown[]; name?: string }): Promise<{
    rows: unknown[];
    rowCount: number | null;
  }>;
  on(event: "error", listener: (error: Error) => void): unknown;
  removeListener(event: "error", listener: (error: Error) => void): unknown;
}

/** postgres.js: the `sql` function that `postgres(url)` returns. */
export interface PostgresJsLike {
  unsafe(
    query: string,
    parameters?: unknown[],
    options?: { prepare?: boolean },
  ): PromiseLike<ArrayLike<unknown> & { count: number | null }> & {
    simple(): PromiseLike<unknown>;
  };
  end(options?: { timeout?: number }): Promise<void>;
}

/** A client the PostgreSQL store accepts. */
export type PostgresClientLike = PgClientLike | PostgresJsLike;

/** How a driver sends one statement: named (prepared once per connection) or unnamed. */
type Send = (
  text: string,
  values: readonly Parameter[],
  name: string | undefined,
) => Promise<QueryResult>;

export function connect(
  client: PostgresClientLike,
  options: { prepare: boolean },
): PostgresConnection {
  if (isPostgresJs(client)) return preparing(postgresJsConnection(client), options.prepare);
  if (isPg(client)) return preparing(pgConnection(client), options.prepare);
  throw new ConfigError(
    `postgresStore needs { client }: a pg Pool or Client (new Pool({ connectionString }) from "pg") or a postgres.js sql instance (postgres(url) from "postgres"); got ${describe(client)}.`,
  );
}

function isPostgresJs(client: unknown): client is PostgresJsLike {
  return (
    typeof client === "function" &&
    typeof (client as unknown as PostgresJsLike).unsafe === "function"
  );
}

function isPg(client: unknown): client is PgClientLike {
  return (
    typeof client === "object" &&
    client !== null &&
    typeof (client as PgClientLike).query === "function" &&
    typeof (client as PgClientLike).on === "function"
  );
}

/** A driver's connection before the choice of naming: `send` takes the statement's name. */
type DriverConnection = Omit<PostgresConnection, "query"> & { readonly send: Send };

/** SQLSTATEs of a named statement a pooler lost or met twice; the statement did not run. */
const LOST_PREPARED_STATEMENT = new Set(["26000", "42P05"]);

function preparing(driver: DriverConnection, prepare: boolean): PostgresConnection {
  let named = prepare;
  const names = new Map<string, string>();
  const nameOf = (text: string): string => {
    let name = names.get(text);
    if (name === undefined) {
      // From the text, so two stores (two tables) or two versions of tessera sharing a server
      // connection behind a pooler never give one name to two different statements.
      name = `tessera_${createHash("sha256").update(text).digest("base64url").slice(0, 22)}`;
      names.set(text, name);
    }
    return name;
  };
  const { send, ...rest } = driver;
  return {
    ...rest,
    async query(text, values) {
      if (!named) return send(text, values, undefined);
      try {
        return await send(text, values, nameOf(text));
      } catch (error) {
        const code = (error as { code?: unknown } | null)?.code;
        if (typeof code !== "string" || !LOST_PREPARED_STATEMENT.has(code)) throw error;
        named = false;
        return send(text, values, undefined);
      }
    },
  };
}

function pgConnection(client: PgClientLike): DriverConnection {
  let lastError: string | undefined;
  // node-postgres emits "error" when an idle connection dies (the server restarted or was
  // killed). With no listener, Node would throw it and end the process; the store keeps the
  // message for its 503s instead, and the Pool replaces the connection on the next query.
  const onError = (error: Error) => {
    lastError = error.message;
  };
  client.on("error", onError);
  // A Pool runs queries side by side on its connections. A single Client runs one at a time,
  // and node-postgres 9 refuses a query sent while another runs: the store queues them itself.
  const send = isPool(client) ? client.query.bind(client) : serialised(client);
  return {
    library: "pg",
    async send(text, values, name) {
      const config = { text, values: values as unknown[] };
      const result = await send(name === undefined ? config : { ...config, name });
      return { rows: result.rows as Row[], rowCount: result.rowCount ?? 0 };
    },
    async script(text) {
      // Without values node-postgres uses the simple query protocol, which runs several
      // statements in one implicit transaction.
      await send({ text });
    },
    lastError: () => lastError,
    release() {
      client.removeListener("error", onError);
    },
  };
}

function isPool(client: PgClientLike): boolean {
  return typeof (client as { idleCount?: unknown }).idleCount === "number";
}

/** The client's query, one at a time: each waits for the previous one to settle. */
function serialised(client: PgClientLike): PgClientLike["query"] {
  let previous: Promise<unknown> = Promise.resolve();
  return (config) => {
    const result = previous.then(() => client.query(config));
    previous = result.catch(() => undefined);
    return result;
  };
}

function postgresJsConnection(sql: PostgresJsLike): DriverConnection {
  return {
    library: "postgres",
    async send(text, values, name) {
      // postgres.js names statements itself; the instance's own `prepare: false` (the setting
      // postgres.js asks for behind PgBouncer) still wins over this.
      const rows = await sql.unsafe(text, values as unknown[], { prepare: name !== undefined });
      return { rows: rows as unknown as Row[], rowCount: rows.count ?? rows.length };
    },
    async script(text) {
      await sql.unsafe(text).simple();
    },
    // postgres.js reconnects by itself and reports connection errors on the query that met them.
    lastError: () => undefined,
    release() {},
  };
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "string")
    return `a string (${JSON.stringify(value.slice(0, 40))}); pass a client, not a connection string`;
  if (typeof value !== "object" && typeof value !== "function") return typeof value;
  const name = (value as { constructor?: { name?: string } }).constructor?.name;
  return name === undefined || name === "Object"
    ? "an object with neither query() nor unsafe()"
    : `a ${name}`;
}
