/**
 * The session record as each store holds it, for the inspector: read with the store's own tools
 * (SQL, redis-cli's commands), not through tessera, so the page shows what an operator would
 * see. Each reader answers within a deadline: a store that does not answer is a 503 page.
 */
import { StoreUnavailableError } from "../../src/errors.ts";

export interface RecordView {
  /** What an operator would type to see the same thing. */
  readonly command: string;
  readonly found: boolean;
  /** Column or field, and its value as the store prints it. */
  readonly fields: ReadonlyArray<readonly [string, string]>;
  /** A redis-cli session, when the store is Redis. */
  readonly transcript?: string;
  /** When the record expires (ms since the epoch), for the countdown. */
  readonly expiresAt?: number;
  /**
   * How it goes: "ttl", the store deletes it itself then (Redis); "sweep", reads refuse it from
   * then on and a periodic sweep deletes the row later (SQLite, PostgreSQL, memory).
   */
  readonly expiry?: "ttl" | "sweep";
}

/** Reads the record of session `id`, or says that there is none. */
export type RecordReader = (id: string) => Promise<RecordView>;

const DEADLINE_MS = 2_000;

/** `work`, or a StoreUnavailableError (503) when it takes longer than the deadline. */
export async function withinDeadline<T>(what: string, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(
      () =>
        reject(new StoreUnavailableError("get", `${what} did not answer within ${DEADLINE_MS} ms`)),
      DEADLINE_MS,
    );
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** A time as the inspector shows it: ISO 8601 in UTC, then the number the store keeps. */
export function showTime(ms: number): string {
  return Number.isFinite(ms) ? `${new Date(ms).toISOString()} (${ms})` : String(ms);
}

/** A value as redis-cli prints it: in double quotes, with quotes and backslashes escaped. */
export function redisQuoted(value: string): string {
  return `"${value.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("\n", "\\n")}"`;
}

/** The shape of the few node-redis calls the reader makes. */
interface RedisReads {
  hGetAll(key: string): Promise<Record<string, string>>;
  pTTL(key: string): Promise<number>;
  zRange(key: string, start: number, stop: number): Promise<string[]>;
}

/** The user a record belongs to: its `username` field, a JSON string. */
function usernameOf(hash: Record<string, string>): string | undefined {
  try {
    const username: unknown = JSON.parse(hash.username ?? "null");
    return typeof username === "string" ? username : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The Redis hash of a session, as `redis-cli HGETALL` and `PTTL` print it. `where` is the
 * server's host:port, the prompt redis-cli shows.
 */
export function redisRecordReader(client: RedisReads, prefix: string, where: string): RecordReader {
  return async (id) => {
    const key = prefix + id;
    const [hash, pttl] = await withinDeadline(
      `Redis at ${where}`,
      Promise.all([client.hGetAll(key), client.pTTL(key)]),
    );
    const entries = Object.entries(hash);
    const prompt = `${where.replace(/^rediss?:\/\//, "")}>`;
    const listing =
      entries.length === 0
        ? "(empty array)"
        : entries
            .flat()
            .map((text, index) => `${index + 1}) ${redisQuoted(text)}`)
            .join("\n");
    let transcript = `${prompt} HGETALL ${key}\n${listing}\n${prompt} PTTL ${key}\n(integer) ${pttl}`;
    // The user's index, which "log out everywhere" and "Your sessions" read: one id per login.
    const username = usernameOf(hash);
    if (username !== undefined) {
      const indexKey = `${prefix}user:${username}`;
      const ids = await withinDeadline(`Redis at ${where}`, client.zRange(indexKey, 0, -1));
      const members =
        ids.length === 0
          ? "(empty array)"
          : ids.map((member, index) => `${index + 1}) ${redisQuoted(member)}`).join("\n");
      transcript += `\n${prompt} ZRANGE ${indexKey} 0 -1\n${members}`;
    }
    return {
      command: `redis-cli HGETALL ${key}`,
      found: entries.length > 0,
      fields: entries,
      transcript,
      ...(pttl > 0 ? { expiresAt: Date.now() + pttl, expiry: "ttl" as const } : {}),
    };
  };
}

/** The reads the PostgreSQL reader makes, as pg's Pool has them. */
interface SqlReads {
  query(text: string, values: unknown[]): Promise<{ rows: Array<Record<string, unknown>> }>;
}

/** The row of a session in PostgreSQL's tessera_sessions, as psql would show it. */
export function postgresRecordReader(pool: SqlReads, table: string, where: string): RecordReader {
  const sql = `SELECT id, data::text AS data, created_at, expires_at, user_id FROM ${table} WHERE id = $1`;
  return async (id) => {
    const { rows } = await withinDeadline(`PostgreSQL at ${where}`, pool.query(sql, [id]));
    const row = rows[0];
    const command = `psql -c "SELECT * FROM ${table} WHERE id = '${id}'"`;
    if (row === undefined) return { command, found: false, fields: [] };
    const expiresAt = row.expires_at instanceof Date ? row.expires_at.getTime() : undefined;
    return {
      command,
      found: true,
      fields: Object.entries(row).map(([column, value]) => [
        column,
        value instanceof Date ? value.toISOString() : value === null ? "NULL" : String(value),
      ]),
      ...(expiresAt === undefined ? {} : { expiresAt, expiry: "sweep" as const }),
    };
  };
}
