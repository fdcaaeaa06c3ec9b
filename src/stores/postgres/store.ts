/**
 * The PostgreSQL session store, for applications whose data already lives there. Each session
 * operation is one statement on the application's own client (a pg Pool or Client, or a
 * postgres.js sql), the table is created on first use, every call has a deadline, and an outage
 * is a quick StoreUnavailableError (adapters answer 503) instead of a hung request or a crash.
 */
import {
  ConfigError,
  isCallerError,
  SessionValueError,
  StoreUnavailableError,
  TesseraError,
} from "../../errors.ts";
import { Deadlines } from "../../util/deadlines.ts";
import { type Duration, toMilliseconds } from "../../util/duration.ts";
import { WriteOrder } from "../../util/write-order.ts";
import type {
  ApplyOptions,
  ListOptions,
  RenameOptions,
  SessionPatch,
  SessionStore,
  SessionSummary,
  StoreCapabilities,
  StoredSession,
  UserId,
} from "../contract.ts";
import { listLimit } from "../json-records.ts";
import { startSweeper, sweepIntervalMs } from "../sweeper.ts";
import { connect, type PostgresClientLike } from "./connection.ts";
import { describeUnstorableText } from "./hard-values.ts";
import type { PostgresLayout } from "./layout.ts";
import { chooseLayout, type PostgresLayoutName, type PostgresLayoutOptions } from "./layouts.ts";
import { type TableName, tableName } from "./table-name.ts";

export interface PostgresStoreOptions extends PostgresLayoutOptions {
  /**
   * The application's client: a `pg` Pool (`new Pool({ connectionString })`) or Client (after
   * `await client.connect()`), or a postgres.js `sql` (`postgres(url)`). The store never closes
   * it: the application does, after `sessions.close()`. Prefer a Pool: a single Client that
   * loses its connection stays broken, where a Pool reconnects.
   */
  readonly client: PostgresClientLike;
  /**
   * The table, optionally qualified by its schema ("auth.sessions"). Default "tessera_sessions",
   * or "sessions" (Flask-Session's SESSION_SQLALCHEMY_TABLE) with layout "flask-session".
   */
  readonly table?: string;
  /**
   * Create the table and its indexes on first use when they are missing (default true). With
   * false the table must exist: `postgresTableDdl()` gives the statements for a migration.
   */
  readonly createTable?: boolean;
  /**
   * The session key that holds the signed-in user's id (a string or number), such as "userId".
   * With it the store fills the table's user_id column, for `listByUser` and `revokeUser`.
   */
  readonly userKey?: string;
  /** Give up on a PostgreSQL call after this long (the application answers 503). Default "2s". */
  readonly timeout?: Duration;
  /**
   * How often this process deletes expired rows; 0 or false leaves it to `purgeExpired()`.
   * Default "5m". Expired rows are invisible at once either way. Several processes may sweep
   * the same table: each skips the rows another is deleting.
   */
  readonly sweepInterval?: Duration | false;
  /**
   * Name the store's statements, so PostgreSQL parses and plans each once per connection rather
   * than on every call (default true). Behind a pooler that loses named statements (PgBouncer in
   * transaction mode before 1.21), the first call that meets it is sent again unnamed and the
   * store stops naming, so nothing needs setting there; false skips that one retried call. With
   * postgres.js, the instance's own `prepare: false` wins.
   */
  readonly prepare?: boolean;
}

/** A SessionStore on PostgreSQL, with the per-user operations when `userKey` is set. */
export interface PostgresStore extends SessionStore {
  readonly kind: "postgres";
  readonly capabilities: StoreCapabilities;
  /** The table, as written in SQL (`"tessera_sessions"`). */
  readonly table: string;
  /** The live sessions of one user (needs `userKey`). */
  listByUser(userId: UserId): AsyncIterable<SessionSummary>;
  /** Ends every session of one user ("log out everywhere"); resolves to how many ended. */
  revokeUser(userId: UserId): Promise<number>;
}

/** Rows per list query, so a listing never holds a statement open across the caller's awaits. */
const LIST_PAGE = 200;
/** Rows per sweep statement: each one locks only these rows, and only briefly. */
const PURGE_BATCH = 500;

/**
 * The statements that create the store's table and indexes, for migration tools: the store runs
 * the same ones on first use unless `createTable: false`. `postgresTableDdl("auth.sessions")`
 * for tessera's table, `postgresTableDdl({ layout: "flask-session" })` for Flask-Session's.
 */
export function postgresTableDdl(
  table?: string | { readonly table?: string; readonly layout?: PostgresLayoutName },
): string {
  const options: { readonly table?: string | undefined; readonly layout?: PostgresLayoutName } =
    typeof table === "object" && table !== null ? table : { table };
  const layout = chooseLayout(
    options.layout === undefined ? {} : { layout: options.layout },
    "postgresTableDdl",
  );
  const name = tableName(options.table ?? layout.defaultTable, "postgresTableDdl table");
  return `${layout.make(NO_CONNECTION, name).ddl.join(";\n")};\n`;
}

export function postgresStore(options: PostgresStoreOptions): PostgresStore {
  if (options === null || typeof options !== "object" || options.client === undefined) {
    throw new ConfigError(
      'postgresStore needs { client }: a pg Pool (new Pool({ connectionString }) from "pg") or a postgres.js sql (postgres(url) from "postgres").',
    );
  }
  const userKey = options.userKey;
  if (userKey !== undefined && (typeof userKey !== "string" || userKey === "")) {
    throw new ConfigError(
      `postgresStore userKey must be the name of a session key, such as "userId"; got ${JSON.stringify(userKey)}.`,
    );
  }
  const chosen = chooseLayout(options, "postgresStore");
  const table = tableName(options.table ?? chosen.defaultTable, "postgresStore table");
  const timeoutMs = toMilliseconds(options.timeout ?? "2s", "postgresStore timeout");
  if (timeoutMs <= 0) {
    throw new ConfigError(
      `postgresStore timeout must be positive; got ${String(options.timeout)}.`,
    );
  }
  const sweepMs = sweepIntervalMs("postgresStore", options.sweepInterval ?? "5m");
  const createTable = options.createTable ?? true;
  if (typeof createTable !== "boolean") {
    throw new ConfigError(
      `postgresStore createTable must be true or false; got ${String(createTable)}.`,
    );
  }

  const prepare = options.prepare ?? true;
  if (typeof prepare !== "boolean") {
    throw new ConfigError(`postgresStore prepare must be true or false; got ${String(prepare)}.`);
  }

  const connection = connect(options.client, { prepare });
  const layout = chosen.make(connection, table);
  const deadlines = new Deadlines(timeoutMs);
  /**
   * A write abandoned at the store's own deadline is still in the driver's hands (a pool runs
   * the next one on another connection): the next write to that session waits for it.
   */
  const order = new WriteOrder();
  let closed = false;
  /** Settles once the table exists; undefined until the first call, or after a failed attempt. */
  let tableReady: Promise<void> | undefined = createTable ? undefined : Promise.resolve();
  let tableKnown = !createTable;

  function ensureTable(): Promise<void> {
    tableReady ??= connection
      .script(createScript(layout, table))
      .then(() => {
        tableKnown = true;
      })
      .catch((error: unknown) => {
        // The next call tries again (PostgreSQL may have been down).
        tableReady = undefined;
        throw error;
      });
    return tableReady;
  }

  /**
   * Runs one operation with the store's deadline, after the table exists, turning driver
   * errors into tessera's: a value PostgreSQL refuses is the caller's (SessionValueError, a
   * 500 naming the key), anything else an outage (StoreUnavailableError, a 503).
   */
  function guarded<R>(operation: string, call: () => Promise<R>, patch?: SessionPatch): Promise<R> {
    if (closed) {
      return Promise.reject(
        new StoreUnavailableError(
          operation,
          `postgres session store: ${operation} after close(); create a new store to keep using it.`,
        ),
      );
    }
    const run = tableKnown ? call : () => ensureTable().then(call);
    return deadlines.run(
      run,
      () =>
        new StoreUnavailableError(
          operation,
          `PostgreSQL did not answer ${operation} within ${timeoutMs} ms${lastErrorOf()}; check that it is running and reachable (postgresStore's timeout option sets this limit).`,
        ),
      (error) => translate(operation, error, patch),
    );
  }

  function lastErrorOf(): string {
    const last = connection.lastError();
    return last === undefined ? "" : ` (last connection error: ${last})`;
  }

  function translate(operation: string, error: unknown, patch: SessionPatch | undefined): unknown {
    if (error instanceof TesseraError || isCallerError(error)) return error;
    const code = sqlStateOf(error);
    const reason = error instanceof Error ? error.message : String(error);
    // Class 22 is "data exception": jsonb refused a string of the patch.
    if (code?.startsWith("22") && patch !== undefined && chosen.name === "tessera") {
      return new SessionValueError(describeUnstorableText(patch, reason), { cause: error });
    }
    if (code === "42P01") {
      // The table is gone (dropped, or never made with createTable: false).
      if (createTable) tableReady = undefined;
      tableKnown = !createTable;
      return new StoreUnavailableError(
        operation,
        `postgres session store: table ${table.text} does not exist (${reason}). ${
          createTable
            ? "It is created again on the next call."
            : `Create it with the statements from postgresTableDdl(${chosen.name === "tessera" ? "" : `{ layout: "${chosen.name}" }`}), or leave createTable on.`
        }`,
        { cause: error },
      );
    }
    return new StoreUnavailableError(
      operation,
      `PostgreSQL failed during ${operation} on table ${table.text}: ${reason}${lastErrorOf()}`,
      { cause: error },
    );
  }

  async function purge(): Promise<number> {
    let total = 0;
    const now = Date.now();
    while (!closed) {
      const deleted = await guarded("purgeExpired", () => layout.purgeBatch(PURGE_BATCH, now));
      total += deleted;
      if (deleted < PURGE_BATCH) break;
    }
    return total;
  }

  const sweeper = startSweeper("postgresStore", sweepMs, purge);

  async function* pages(
    operation: string,
    limit: number,
    page: (afterId: string | undefined, size: number, now: number) => Promise<SessionSummary[]>,
  ): AsyncIterable<SessionSummary> {
    let remaining = limit;
    let afterId: string | undefined;
    const now = Date.now();
    while (remaining > 0) {
      const size = Math.min(remaining, LIST_PAGE);
      const after = afterId;
      const rows = await guarded(operation, () => page(after, size, now));
      for (const row of rows) {
        yield row;
        afterId = row.id;
        remaining -= 1;
      }
      if (rows.length < size) return;
    }
  }

  function userIndexLayout(
    operation: string,
  ): Required<Pick<PostgresLayout, "listByUser" | "revokeUser">> {
    if (
      userKey === undefined ||
      layout.listByUser === undefined ||
      layout.revokeUser === undefined
    ) {
      throw new ConfigError(
        `postgresStore ${operation} needs the userKey option: the session key that holds the user's id, such as postgresStore({ client, userKey: "userId" }).`,
      );
    }
    return { listByUser: layout.listByUser, revokeUser: layout.revokeUser };
  }

  return {
    kind: "postgres",
    capabilities: layout.capabilities,
    table: table.sql,

    get(id: string): Promise<StoredSession | undefined> {
      return guarded("get", () => layout.get(id, Date.now()));
    },

    apply(id: string, patch: SessionPatch, options: ApplyOptions): Promise<boolean> {
      return order.run(
        [id],
        () => layout.apply(id, patch, options, Date.now()),
        (send) => guarded("apply", send, patch),
      );
    },

    async touch(id: string, expiresAt: number): Promise<void> {
      await order.run(
        [id],
        () => layout.touch(id, expiresAt, Date.now()),
        (send) => guarded("touch", send),
      );
    },

    async destroy(id: string): Promise<void> {
      await order.run(
        [id],
        () => layout.destroy(id),
        (send) => guarded("destroy", send),
      );
    },

    rename(fromId: string, toId: string, options: RenameOptions): Promise<boolean> {
      return order.run(
        [fromId, toId],
        () => layout.rename(fromId, toId, options, Date.now()),
        (send) => guarded("rename", send, options.patch),
      );
    },

    list(options?: ListOptions): AsyncIterable<SessionSummary> {
      const limit = listLimit(options);
      return pages("list", limit, (after, size, now) => layout.listPage(after, size, now));
    },

    async *listByUser(userId: UserId): AsyncIterable<SessionSummary> {
      const index = userIndexLayout("listByUser");
      const rows = await guarded("listByUser", () => index.listByUser(String(userId), Date.now()));
      yield* rows;
    },

    async revokeUser(userId: UserId): Promise<number> {
      const index = userIndexLayout("revokeUser");
      return guarded("revokeUser", () => index.revokeUser(String(userId), Date.now()));
    },

    purgeExpired: () => sweeper.run(),

    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await sweeper.stop();
      connection.release();
    },
  };
}

/**
 * The table's statements as one script, run as one transaction that first takes an advisory
 * lock on the table's name: processes starting together would otherwise race on
 * CREATE TABLE IF NOT EXISTS, which is not safe against itself.
 */
function createScript(layout: PostgresLayout, table: TableName): string {
  const lock = `SELECT pg_advisory_xact_lock(hashtext('tessera table ' || ${sqlText(table.text)}))`;
  return `${[lock, ...layout.ddl].join(";\n")};`;
}

function sqlText(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

function sqlStateOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/** For postgresTableDdl, which only reads the layout's statements. */
const NO_CONNECTION = {
  library: "none",
  query: () => Promise.reject(new Error("no connection")),
  script: () => Promise.reject(new Error("no connection")),
  lastError: () => undefined,
  release() {},
};
