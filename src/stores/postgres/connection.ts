/**
 * One face for the PostgreSQL clients applications already have: a `pg` Pool or Client (node-postgres)
 * or a `postgres` (porsager) `sql` instance. The store sends parameterised text and reads rows
 * back; it imports neither library, so an application installs only the one it uses.
 *
 * Statements are unnamed (never server-side prepared), so the store works through PgBouncer in
 * transaction mode, where a prepared statement made on one server connection is missing on the
 * next.
 */
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
  query(config: { text: string; values?: unknown[] }): Promise<{
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
  ): PromiseLike<ArrayLike<unknown> & { count: number | null }> & {
    simple(): PromiseLike<unknown>;
  };
  end(options?: { timeout?: number }): Promise<void>;
}

/** A client the PostgreSQL store accepts. */
export type PostgresClientLike = PgClientLike | PostgresJsLike;

export function connect(client: PostgresClientLike): PostgresConnection {
  if (isPostgresJs(client)) return postgresJsConnection(client);
  if (isPg(client)) return pgConnection(client);
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

function pgConnection(client: PgClientLike): PostgresConnection {
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
    async query(text, values) {
      const result = await send({ text, values: values as unknown[] });
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

function postgresJsConnection(sql: PostgresJsLike): PostgresConnection {
  return {
    library: "postgres",
    async query(text, values) {
      const rows = await sql.unsafe(text, values as unknown[]);
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
