/**
 * Flask-Session's SQL table, as its `SqlAlchemySessionInterface` (Flask-Session 0.8,
 * `SESSION_TYPE = "sqlalchemy"`) keeps it, so that a Flask app and a tessera app on one database
 * share one login (docs/flask-session-format.md, "The SQL table", has the sources):
 *
 *   id          SERIAL primary key, never read by either side
 *   session_id  VARCHAR(255) UNIQUE, the key prefix and the session id: "session:<id>"
 *   data        BYTEA, the whole session dict, msgspec MessagePack (or JSON)
 *   expiry      TIMESTAMP WITHOUT TIME ZONE, in UTC (Python's datetime.utcnow() + lifetime);
 *               a row is live while expiry is later than now, and a NULL expiry is expired
 *
 * Flask-Session keeps no creation time: `createdAt` reads as the time of the read.
 *
 * The data is bytes PostgreSQL cannot patch, so a change is an optimistic read and a
 * compare-and-swap: read the row, splice the patch into its entries here
 * (src/stores/flask-session/entries.ts: what the request did not change keeps its bytes), and
 * `UPDATE ... WHERE session_id = $1 AND data = <the bytes read>`. When another writer got there
 * first the update matches no row and the loop reads again, so two requests that change distinct
 * keys both keep their change, without a transaction held across round trips (PgBouncer's
 * transaction mode and postgres.js both work). A Flask request still rewrites the whole dict it
 * read: tessera's change made between that request's read and write is lost, as it would be
 * between two Flask requests.
 */
import { StoreUnavailableError } from "../../errors.ts";
import type {
  ApplyOptions,
  RenameOptions,
  SessionPatch,
  SessionSummary,
  StoredSession,
} from "../contract.ts";
import {
  assembleRecord,
  patchEntries,
  type RecordEntries,
  recordEntries,
} from "../flask-session/entries.ts";
import {
  decodeRecord,
  type EncodedPatch,
  encodePatch,
  type FlaskSerializer,
} from "../flask-session/record.ts";
import type { Parameter, PostgresConnection, Row } from "./connection.ts";
import { millisecondsOf, type PostgresLayout } from "./layout.ts";
import type { TableName } from "./table-name.ts";

export interface FlaskSessionTableOptions {
  /** Flask-Session's SESSION_KEY_PREFIX, before every id in session_id. */
  readonly prefix: string;
  /** How new records are written (SESSION_SERIALIZATION_FORMAT); either is read. */
  readonly serializer: FlaskSerializer;
}

/** session_id is VARCHAR(255): a prefix longer than this leaves no room for a 43-character id. */
export const MAX_FLASK_PREFIX_LENGTH = 255 - 43;

/**
 * Reads and compare-and-swaps of one write before it gives up: each failed swap means another
 * writer's change landed, so the writers of one record always make progress; only a record
 * rewritten this many times during one request's write ends in a 503.
 */
const MAX_ATTEMPTS = 100;
/** How long a write waits for this process's previous write to the same record. */
const TURN_WAIT_MS = 1_000;

/** 9999-12-31 23:59:59.999, Python's latest datetime: a later expiry is a row Flask cannot read. */
const MAX_EXPIRY_MS = 253402300799999;
/** 0001-01-01, Python's earliest datetime. */
const MIN_EXPIRY_MS = -62135596800000;

/**
 * The statements SQLAlchemy emits for Flask-Session's model (`create_session_model` in
 * flask_session/sqlalchemy/sqlalchemy.py, 0.8.0 lines 20-43) on PostgreSQL, made safe to repeat.
 */
export function flaskSessionTableDdl(table: TableName): string[] {
  return [
    `CREATE TABLE IF NOT EXISTS ${table.sql} (
  id SERIAL NOT NULL,
  session_id VARCHAR(255),
  data BYTEA,
  expiry TIMESTAMP WITHOUT TIME ZONE,
  PRIMARY KEY (id),
  UNIQUE (session_id)
)`,
  ];
}

/** The parameter `$n` (ms since the epoch) as a naive UTC timestamp, as Flask-Session writes. */
const utc = (n: number) => `(to_timestamp($${n}::float8 / 1000) AT TIME ZONE 'UTC')`;
/** Whether a row is a live session at `$n`: Flask-Session deletes it when expiry <= utcnow(). */
const live = (n: number) => `coalesce(expiry > ${utc(n)} AND data IS NOT NULL, false)`;

interface StoredRow {
  /** The stored bytes as hex, the token the compare-and-swap compares; null for a NULL data. */
  readonly hex: string | null;
  /** Live by its expiry (and not NULL). */
  readonly live: boolean;
  /** The entries of a live row tessera reads as a session; undefined otherwise. */
  readonly record: RecordEntries | undefined;
}

export function flaskSessionTable(
  connection: PostgresConnection,
  table: TableName,
  options: FlaskSessionTableOptions,
): PostgresLayout {
  const t = table.sql;
  const { prefix, serializer } = options;
  const keyOf = (id: string) => prefix + id;
  /**
   * The writes of this process waiting for each record, so that they take turns instead of
   * racing each other's compare-and-swap: 50 concurrent writes to one session are then 50
   * reads and swaps, not hundreds of lost swaps. Writers in other processes still race, and
   * the swap keeps them correct; so a write waits for the one before it at most TURN_WAIT_MS
   * (one stuck on a dead connection must not hold up the session's later requests).
   */
  const queues = new Map<string, Promise<void>>();

  function inTurn<R>(key: string, write: () => Promise<R>): Promise<R> {
    const previous = queues.get(key);
    const turn = previous === undefined ? Promise.resolve() : settledOrLater(previous);
    const result = turn.then(write);
    const done = result.then(
      () => undefined,
      () => undefined,
    );
    queues.set(key, done);
    void done.then(() => {
      if (queues.get(key) === done) queues.delete(key);
    });
    return result;
  }

  const select = `SELECT encode(data, 'hex') AS data, ${millisecondsOf("expiry")} AS expires_at
    FROM ${t} WHERE session_id = $1::text AND ${live(2)}`;
  const readRow = `SELECT encode(data, 'hex') AS data, ${live(2)} AS live
    FROM ${t} WHERE session_id = $1::text`;
  // $1 key, $2 new data (hex), $3 expiry.
  const insert = `INSERT INTO ${t} (session_id, data, expiry)
    VALUES ($1::text, decode($2::text, 'hex'), ${utc(3)}) ON CONFLICT (session_id) DO NOTHING`;
  // As insert, $4 the data read (hex, or null), $5 now. The row must still hold what was read,
  // and still be live: a record that expired meanwhile is not revived.
  const swapLive = `UPDATE ${t} SET data = decode($2::text, 'hex'), expiry = ${utc(3)}
    WHERE session_id = $1::text AND data = decode($4::text, 'hex') AND ${live(5)}`;
  // As swapLive, for a row that was no session (expired, or bytes tessera cannot read): it is
  // replaced whole, unless it changed meanwhile or (when it had expired) came back to life.
  // $6: it was live, only unreadable.
  const swapDead = `UPDATE ${t} SET data = decode($2::text, 'hex'), expiry = ${utc(3)}
    WHERE session_id = $1::text AND data IS NOT DISTINCT FROM decode($4::text, 'hex')
      AND ($6::boolean OR NOT ${live(5)})`;
  // $1 from, $2 to, $3 the source's data read (hex), $4 the moved data (hex), $5 now, $6 expiry.
  // One statement: the source is deleted, if it still holds what was read, and the target
  // written, or neither; a record already under the target is replaced.
  const renameSql = `WITH moved AS (
      DELETE FROM ${t} WHERE session_id = $1::text AND data = decode($3::text, 'hex') AND ${live(5)}
      RETURNING 1
    )
    INSERT INTO ${t} (session_id, data, expiry)
      SELECT $2::text, decode($4::text, 'hex'), ${utc(6)} FROM moved
    ON CONFLICT (session_id) DO UPDATE SET data = EXCLUDED.data, expiry = EXCLUDED.expiry`;
  const touchSql = `UPDATE ${t} SET expiry = ${utc(2)} WHERE session_id = $1::text AND ${live(3)}`;
  const destroySql = `DELETE FROM ${t} WHERE session_id = $1::text`;
  // $1 now, $2 limit, $3 prefix, $4 the session_id to list after. Only this prefix's rows: the
  // table may hold other apps' sessions. Listed in byte order of the id.
  const mine = `left(session_id, char_length($3::text)) = $3::text`;
  const summary = `substr(session_id, char_length($3::text) + 1) AS id, ${millisecondsOf("expiry")} AS expires_at`;
  const listFirst = `SELECT ${summary} FROM ${t} WHERE ${mine} AND ${live(1)}
    ORDER BY session_id COLLATE "C" LIMIT $2`;
  const listAfter = `SELECT ${summary} FROM ${t} WHERE ${mine} AND ${live(1)}
    AND session_id COLLATE "C" > $4::text ORDER BY session_id COLLATE "C" LIMIT $2`;
  // Flask-Session's _delete_expired_sessions deletes `expiry <= utcnow()`; a NULL expiry, which
  // its read deletes, goes too.
  const purgeSql = `DELETE FROM ${t} WHERE id IN (
      SELECT id FROM ${t} WHERE ${mine} AND (expiry <= ${utc(1)} OR expiry IS NULL)
      LIMIT $2 FOR UPDATE SKIP LOCKED
    )`;

  /**
   * A statement that inserts rows. Flask-Session's model with SESSION_SQLALCHEMY_SEQUENCE makes
   * an `id` column with no default (SQLAlchemy names the sequence in its own INSERTs), where
   * tessera's INSERT fails: the error says how to give the column its default.
   */
  async function inserting(operation: string, text: string, values: Parameter[]) {
    try {
      return await connection.query(text, values);
    } catch (error) {
      const { code, message } = error as { code?: unknown; message?: unknown };
      if (code !== "23502" || typeof message !== "string" || !message.includes('"id"')) throw error;
      throw new StoreUnavailableError(
        operation,
        `postgres session store: table ${table.text} has no default for its id column (${message}), as Flask-Session makes it with SESSION_SQLALCHEMY_SEQUENCE; give the column its sequence as default: ALTER TABLE ${table.text} ALTER COLUMN id SET DEFAULT nextval('<the sequence>').`,
        { cause: error },
      );
    }
  }

  async function read(key: string, now: number): Promise<StoredRow | undefined> {
    const row = (await connection.query(readRow, [key, now])).rows[0];
    if (row === undefined) return undefined;
    const hex = typeof row.data === "string" ? row.data : null;
    const isLive = row.live === true;
    const record = isLive && hex !== null ? recordEntries(Buffer.from(hex, "hex")) : undefined;
    return { hex, live: isLive, record };
  }

  /** The record `stored` with the patch spliced in, as hex. */
  function patched(stored: RecordEntries, encoded: (serializer: FlaskSerializer) => EncodedPatch) {
    const entries = patchEntries(stored.entries, encoded(stored.serializer));
    return assembleRecord(stored.serializer, entries).toString("hex");
  }

  /** A new record holding the patch's sets, in the configured serialization, as hex. */
  function fresh(encoded: (serializer: FlaskSerializer) => EncodedPatch): string {
    return assembleRecord(serializer, patchEntries([], encoded(serializer))).toString("hex");
  }

  function apply(
    id: string,
    patch: SessionPatch,
    applyOptions: ApplyOptions,
    now: number,
  ): Promise<boolean> {
    const key = keyOf(id);
    const encoded = encoder(patch, serializer);
    return inTurn(key, () => write(key, encoded, applyOptions, now));
  }

  async function write(
    key: string,
    encoded: (serializer: FlaskSerializer) => EncodedPatch,
    applyOptions: ApplyOptions,
    now: number,
  ): Promise<boolean> {
    const expiry = expiryOf(applyOptions.expiresAt);
    // A new id (the usual case for mustExist: false): one statement when no row is there.
    if (!applyOptions.mustExist) {
      const { rowCount } = await inserting("apply", insert, [key, fresh(encoded), expiry]);
      if (rowCount === 1) return true;
    }
    for (let attempt = 1; ; attempt++) {
      const row = await read(key, now);
      let swapped: number;
      if (row?.record !== undefined) {
        const values = [key, patched(row.record, encoded), expiry, row.hex, now];
        swapped = (await connection.query(swapLive, values)).rowCount;
      } else if (applyOptions.mustExist) {
        return false;
      } else if (row === undefined) {
        swapped = (await inserting("apply", insert, [key, fresh(encoded), expiry])).rowCount;
      } else {
        const values = [key, fresh(encoded), expiry, row.hex, now, row.live];
        swapped = (await connection.query(swapDead, values)).rowCount;
      }
      if (swapped === 1) return true;
      await contended(attempt, "apply", key);
    }
  }

  return {
    capabilities: { keepsCreatedAt: false, format: "flask-session" },
    ddl: flaskSessionTableDdl(table),

    async get(id, now): Promise<StoredSession | undefined> {
      const row = (await connection.query(select, [keyOf(id), now])).rows[0];
      if (row === undefined || typeof row.data !== "string") return undefined;
      const data = decodeRecord(Buffer.from(row.data, "hex"), { store: "postgres", id });
      if (data === undefined) return undefined;
      return { data, createdAt: now, expiresAt: Number(row.expires_at) };
    },

    apply,

    async touch(id, expiresAt, now): Promise<void> {
      await connection.query(touchSql, [keyOf(id), expiryOf(expiresAt), now]);
    },

    async destroy(id): Promise<void> {
      await connection.query(destroySql, [keyOf(id)]);
    },

    async rename(fromId, toId, renameOptions: RenameOptions, now): Promise<boolean> {
      const { patch, expiresAt } = renameOptions;
      // Moving a row onto itself is an update (the statement would delete it, then find it gone).
      if (fromId === toId) {
        return apply(fromId, patch, { expiresAt, createdAt: now, mustExist: true }, now);
      }
      const fromKey = keyOf(fromId);
      const toKey = keyOf(toId);
      const encoded = encoder(patch, serializer);
      const expiry = expiryOf(expiresAt);
      return inTurn(fromKey, async () => {
        for (let attempt = 1; ; attempt++) {
          const row = await read(fromKey, now);
          if (row?.record === undefined) return false;
          const values = [fromKey, toKey, row.hex, patched(row.record, encoded), now, expiry];
          if ((await inserting("rename", renameSql, values)).rowCount === 1) return true;
          await contended(attempt, "rename", fromKey);
        }
      });
    },

    async listPage(afterId, limit, now): Promise<SessionSummary[]> {
      const { rows } =
        afterId === undefined
          ? await connection.query(listFirst, [now, limit, prefix])
          : await connection.query(listAfter, [now, limit, prefix, keyOf(afterId)]);
      return rows.map((row: Row) => ({
        id: String(row.id),
        createdAt: now,
        expiresAt: Number(row.expires_at),
      }));
    },

    async purgeBatch(limit, now): Promise<number> {
      return (await connection.query(purgeSql, [now, limit, prefix])).rowCount;
    },
  };
}

/**
 * The patch encoded in the configured serialization now (so a value that cannot be stored
 * throws before anything is sent), and in the other one when a record turns out to be in it.
 */
function encoder(
  patch: SessionPatch,
  configured: FlaskSerializer,
): (serializer: FlaskSerializer) => EncodedPatch {
  const first = encodePatch(patch, configured);
  let other: EncodedPatch | undefined;
  return (serializer) => {
    if (serializer === configured) return first;
    other ??= encodePatch(patch, serializer);
    return other;
  };
}

/** Resolves when `previous` settles, or after TURN_WAIT_MS, whichever comes first. */
function settledOrLater(previous: Promise<void>): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, TURN_WAIT_MS);
    if (typeof timer === "object") timer.unref?.();
    void previous.then(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** An expiry Python's datetime can hold (years 1 to 9999). */
function expiryOf(expiresAt: number): number {
  return Math.min(MAX_EXPIRY_MS, Math.max(MIN_EXPIRY_MS, expiresAt));
}

/**
 * After a compare-and-swap that lost to another writer: gives up after MAX_ATTEMPTS, and past
 * the first few, waits a random moment so that writers contending for one row spread out.
 */
async function contended(attempt: number, operation: string, key: string): Promise<void> {
  if (attempt >= MAX_ATTEMPTS) {
    throw new StoreUnavailableError(
      operation,
      `postgres session store: the Flask-Session record ${JSON.stringify(key)} was rewritten by other requests ${MAX_ATTEMPTS} times while this ${operation} tried to write it, so nothing was written; the request can be tried again.`,
    );
  }
  if (attempt < 3) return;
  await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(attempt, 20)));
}
