/**
 * tessera's own table: one row per session, its data as jsonb, so that `psql` shows sessions as
 * they are and a change is applied inside PostgreSQL, key by key, in one statement:
 * `(data - deleted_keys) || set_keys`. Two requests that change different keys of one session
 * both keep their change, with no transaction held across round trips.
 *
 *   id          text, the session id (COLLATE "C": compared as bytes, and listed in that order)
 *   data        jsonb, the session's keys and values
 *   created_at  timestamptz, for the absolute lifetime
 *   expires_at  timestamptz, past it the row is gone for every operation
 *   user_id     text, the value of the store's `userKey`, for listByUser and revokeUser
 *
 * A row whose data is not a JSON object (written by some other program) counts as no session:
 * reads skip it and writes replace it instead of merging into it.
 */
import type {
  ApplyOptions,
  RenameOptions,
  SessionPatch,
  SessionSummary,
  StoredSession,
} from "../contract.ts";
import { parseStoredData, serializePatchedData } from "../json-records.ts";
import type { PostgresConnection, Row } from "./connection.ts";
import {
  millisecondsOf,
  type PostgresLayout,
  textArrayLiteral,
  timestampParameter,
} from "./layout.ts";
import type { TableName } from "./table-name.ts";

/** The statements that create tessera's table and its indexes, for migration tools. */
export function tesseraTableDdl(table: TableName): string[] {
  return [
    `CREATE TABLE IF NOT EXISTS ${table.sql} (
  id text COLLATE "C" PRIMARY KEY,
  data jsonb NOT NULL,
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  user_id text
)`,
    // The sweep deletes the oldest expired rows first, a batch at a time.
    `CREATE INDEX IF NOT EXISTS ${table.index("expires_at")} ON ${table.sql} (expires_at)`,
    // "Log out everywhere": only signed-in sessions are indexed.
    `CREATE INDEX IF NOT EXISTS ${table.index("user_id")} ON ${table.sql} (user_id) WHERE user_id IS NOT NULL`,
  ];
}

const SUMMARY = `id, ${millisecondsOf("created_at")} AS created_at, ${millisecondsOf("expires_at")} AS expires_at`;
const LIVE = (n: number) =>
  `expires_at > ${timestampParameter(n)} AND jsonb_typeof(data) = 'object'`;

export function tesseraTable(
  connection: PostgresConnection,
  table: TableName,
  userKey: string | undefined,
): PostgresLayout {
  const t = table.sql;
  /**
   * SQL for the user column given the new data: the value of `userKey` when it is a string or a
   * number, as the other stores' indexes read it (`revokeUser(42)` and `revokeUser("42")` match).
   * Without a userKey the column stays null.
   */
  const userOf = (data: string) =>
    userKey === undefined
      ? "NULL"
      : `CASE jsonb_typeof(${data} -> ${literal(userKey)})
           WHEN 'string' THEN nullif(${data} ->> ${literal(userKey)}, '')
           WHEN 'number' THEN ${data} ->> ${literal(userKey)} END`;

  // Every write takes the patch as three parameters: the keys to delete (text[]), the keys to
  // set (jsonb) and whether the request cleared the session (then the sets are the whole data).
  // Parameters are typed text and cast in SQL: postgres.js would encode a parameter it knows is
  // jsonb as JSON once more.
  const patched = (data: string, deleted: number) =>
    `CASE WHEN $${deleted + 2}::boolean THEN $${deleted + 1}::text::jsonb ELSE (${data} - $${deleted}::text::text[]) || $${deleted + 1}::text::jsonb END`;

  // $1 id, $2 deleted, $3 set, $4 cleared, $5 expiresAt, $6 now.
  const updateLive = `UPDATE ${t} SET data = ${patched("data", 2)}, user_id = ${userOf(patched("data", 2))},
      expires_at = ${timestampParameter(5)}
    WHERE id = $1 AND ${LIVE(6)}`;
  // As updateLive, $7 createdAt. A new id, or one whose row expired or is not an object (then
  // the patch's sets are the whole data and the session starts now).
  const existingLive = `existing.expires_at > ${timestampParameter(6)} AND jsonb_typeof(existing.data) = 'object'`;
  const merged = `CASE WHEN ${existingLive} THEN ${patched("existing.data", 2)} ELSE $3::text::jsonb END`;
  const upsert = `INSERT INTO ${t} AS existing (id, data, created_at, expires_at, user_id)
    VALUES ($1, $3::text::jsonb, ${timestampParameter(7)}, ${timestampParameter(5)}, ${userOf("$3::text::jsonb")})
    ON CONFLICT (id) DO UPDATE SET
      data = ${merged},
      user_id = ${userOf(`(${merged})`)},
      created_at = CASE WHEN ${existingLive} THEN existing.created_at ELSE EXCLUDED.created_at END,
      expires_at = EXCLUDED.expires_at`;

  // $1 from, $2 to, $3 deleted, $4 set, $5 cleared, $6 expiresAt, $7 now. The source row is
  // deleted and the target written by one statement: both happen or neither does. A record
  // already under the target id is replaced whole.
  const renameSql = `WITH moved AS (
      DELETE FROM ${t} WHERE id = $1 AND ${LIVE(7)}
      RETURNING ${patched("data", 3)} AS data, created_at
    )
    INSERT INTO ${t} (id, data, created_at, expires_at, user_id)
      SELECT $2, data, created_at, ${timestampParameter(6)}, ${userOf("moved.data")} FROM moved
    ON CONFLICT (id) DO UPDATE SET
      data = EXCLUDED.data, created_at = EXCLUDED.created_at,
      expires_at = EXCLUDED.expires_at, user_id = EXCLUDED.user_id`;

  const select = `SELECT data::text AS data, ${millisecondsOf("created_at")} AS created_at, ${millisecondsOf("expires_at")} AS expires_at
    FROM ${t} WHERE id = $1 AND expires_at > ${timestampParameter(2)}`;
  const touchSql = `UPDATE ${t} SET expires_at = ${timestampParameter(2)} WHERE id = $1 AND ${LIVE(3)}`;
  const destroySql = `DELETE FROM ${t} WHERE id = $1`;
  const listFirst = `SELECT ${SUMMARY} FROM ${t} WHERE ${LIVE(1)} ORDER BY id LIMIT $2`;
  const listAfter = `SELECT ${SUMMARY} FROM ${t} WHERE ${LIVE(1)} AND id > $3 ORDER BY id LIMIT $2`;
  const purgeSql = `DELETE FROM ${t} WHERE id IN (
      SELECT id FROM ${t} WHERE expires_at <= ${timestampParameter(1)}
      ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED
    )`;
  const byUserSql = `SELECT ${SUMMARY} FROM ${t} WHERE user_id = $1 AND ${LIVE(2)} ORDER BY id`;
  const revokeSql = `DELETE FROM ${t} WHERE user_id = $1 AND ${LIVE(2)}`;

  return {
    // Rows keyed by tessera's own ids: a Flask-Session cookie would lead Flask to a table it
    // cannot read, so format "flask-session" is refused at startup with a pointer to the layout.
    capabilities: { format: "id", userIndex: userKey !== undefined },
    ddl: tesseraTableDdl(table),

    async get(id, now): Promise<StoredSession | undefined> {
      const { rows } = await connection.query(select, [id, now]);
      const row = rows[0];
      if (row === undefined) return undefined;
      // Parsed here rather than by the driver: an application's own jsonb type parser (pg's
      // setTypeParser) must not change what the session reads.
      const data = parseStoredData(row.data, { store: "postgres", id });
      if (data === undefined) return undefined;
      return { data, createdAt: Number(row.created_at), expiresAt: Number(row.expires_at) };
    },

    async apply(id, patch: SessionPatch, options: ApplyOptions, now): Promise<boolean> {
      const { deleted, set } = patchParameters(patch);
      const values = [id, deleted, set, patch.clear, options.expiresAt, now];
      if (options.mustExist) return (await connection.query(updateLive, values)).rowCount > 0;
      values.push(options.createdAt);
      await connection.query(upsert, values);
      return true;
    },

    async touch(id, expiresAt, now): Promise<void> {
      await connection.query(touchSql, [id, expiresAt, now]);
    },

    async destroy(id): Promise<void> {
      await connection.query(destroySql, [id]);
    },

    async rename(fromId, toId, options: RenameOptions, now): Promise<boolean> {
      const { deleted, set } = patchParameters(options.patch);
      const { clear } = options.patch;
      // Moving a row onto itself is an update (the statement below would delete it and then
      // find it gone).
      const { rowCount } =
        fromId === toId
          ? await connection.query(updateLive, [
              fromId,
              deleted,
              set,
              clear,
              options.expiresAt,
              now,
            ])
          : await connection.query(renameSql, [
              fromId,
              toId,
              deleted,
              set,
              clear,
              options.expiresAt,
              now,
            ]);
      return rowCount > 0;
    },

    async listPage(afterId, limit, now): Promise<SessionSummary[]> {
      const { rows } =
        afterId === undefined
          ? await connection.query(listFirst, [now, limit])
          : await connection.query(listAfter, [now, limit, afterId]);
      return rows.map(summaryOf);
    },

    async purgeBatch(limit, now): Promise<number> {
      return (await connection.query(purgeSql, [now, limit])).rowCount;
    },

    async listByUser(userId, now): Promise<SessionSummary[]> {
      return (await connection.query(byUserSql, [userId, now])).rows.map(summaryOf);
    },

    async revokeUser(userId, now): Promise<number> {
      return (await connection.query(revokeSql, [userId, now])).rowCount;
    },
  };
}

function summaryOf(row: Row): SessionSummary {
  return {
    id: String(row.id),
    createdAt: Number(row.created_at),
    expiresAt: Number(row.expires_at),
  };
}

/** The patch as two text parameters: the keys to delete as text[], the keys to set as jsonb. */
function patchParameters(patch: SessionPatch): { deleted: string; set: string } {
  // With no stored data, serializePatchedData gives the patch's sets alone, and names the key of
  // a value JSON cannot hold.
  return { deleted: textArrayLiteral(patch.delete), set: serializePatchedData(undefined, patch) };
}

/** A string as an SQL literal, for the userKey fixed at startup (not user input). */
function literal(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}
