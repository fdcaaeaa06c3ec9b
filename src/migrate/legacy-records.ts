/**
 * Where express-session and @fastify/session kept their sessions, read the three ways an app
 * switching to tessera may still reach them:
 *
 * - `store`: the express-session store object itself (connect-redis, connect-pg-simple,
 *   connect-mongo…), through its callback API, as the express-session bridge calls it;
 * - `redis`: straight from Redis, as connect-redis lays it out: the session's JSON under
 *   `<prefix><id>` (prefix "sess:" by default) with a TTL;
 * - `postgres`: straight from connect-pg-simple's table (`session`: sid, sess json, expire).
 *
 * The last two need neither connect-redis nor connect-pg-simple installed any more, only the
 * client the app already has. Each also walks every record, for `tessera migrate`.
 */
import { ConfigError } from "../errors.ts";
import { callStore } from "../stores/express-session/call-store.ts";
import type { ExpressSessionStoreLike } from "../stores/express-session/store-like.ts";
import {
  connect as connectPostgres,
  type PostgresClientLike,
} from "../stores/postgres/connection.ts";
import {
  connect as connectRedis,
  type RedisClientLike,
  type Reply,
} from "../stores/redis/connection.ts";

/** One legacy record: the session object as the library stored it, and the store's own expiry. */
export interface LegacyRecord {
  readonly record: unknown;
  /** When the store itself drops the record (a TTL, an `expire` column); undefined if never. */
  readonly storeExpiresAt: number | undefined;
}

export interface LegacyRecords {
  /** What and where, for messages: "connect-redis records sess:* on node-redis". */
  readonly description: string;
  read(id: string): Promise<LegacyRecord | undefined>;
  remove(id: string): Promise<void>;
  /** Every record, a page at a time; a record deleted meanwhile is skipped, never an error. */
  entries(): AsyncIterable<LegacyRecord & { readonly id: string }>;
}

/** Where the legacy sessions are: exactly one of the three. */
export type LegacyRecordsOptions =
  | { readonly store: ExpressSessionStoreLike; readonly redis?: never; readonly postgres?: never }
  | {
      readonly redis: { readonly client: RedisClientLike; readonly prefix?: string };
      readonly store?: never;
      readonly postgres?: never;
    }
  | {
      readonly postgres: {
        readonly client: PostgresClientLike;
        readonly table?: string;
        readonly schema?: string;
      };
      readonly store?: never;
      readonly redis?: never;
    };

export function legacyRecords(options: LegacyRecordsOptions, who: string): LegacyRecords {
  const given = (["store", "redis", "postgres"] as const).filter(
    (name) => (options as Record<string, unknown>)[name] !== undefined,
  );
  if (given.length !== 1) {
    throw new ConfigError(
      `${who} needs to know where its sessions are: exactly one of store (the express-session store object, e.g. new RedisStore({ client })), redis ({ client, prefix }) or postgres ({ client, table }); got ${given.length === 0 ? "none" : given.join(" and ")}.`,
    );
  }
  if (options.store !== undefined) return storeRecords(options.store, who);
  if (options.redis !== undefined) return redisRecords(options.redis, who);
  return postgresRecords(options.postgres as NonNullable<typeof options.postgres>, who);
}

function storeRecords(store: ExpressSessionStoreLike, who: string): LegacyRecords {
  if (typeof store?.get !== "function" || typeof store?.destroy !== "function") {
    throw new ConfigError(
      `${who}'s store must be the express-session store the app used (an object with get and destroy methods, such as new RedisStore({ client }) from connect-redis); got ${store === null ? "null" : typeof store}.`,
    );
  }
  const name = (store.constructor as { name?: string } | undefined)?.name ?? "store";
  return {
    description: `the ${name} express-session store`,
    async read(id) {
      const record = await callStore(store, "get", [id]).catch((error: unknown) => {
        // express-session reads ENOENT as "no session" (file-based stores); so does this.
        if ((error as { code?: unknown } | null)?.code === "ENOENT") return undefined;
        throw error;
      });
      return record === undefined || record === null
        ? undefined
        : { record, storeExpiresAt: undefined };
    },
    async remove(id) {
      await callStore(store, "destroy", [id]);
    },
    async *entries() {
      if (typeof store.all !== "function") {
        throw new ConfigError(
          `${name} has no all() method, so its sessions cannot be listed; give tessera migrate the Redis or PostgreSQL URL the store writes to instead.`,
        );
      }
      const all = await callStore(store, "all", []);
      // connect-redis answers an array of records carrying their id; MemoryStore an object.
      const pairs: [string, unknown][] = Array.isArray(all)
        ? all.map((record) => [String((record as { id?: unknown })?.id), record])
        : Object.entries((all ?? {}) as Record<string, unknown>);
      for (const [id, record] of pairs) yield { id, record, storeExpiresAt: undefined };
    },
  };
}

function redisRecords(
  options: { readonly client: RedisClientLike; readonly prefix?: string },
  who: string,
): LegacyRecords {
  const prefix = options.prefix ?? "sess:";
  if (typeof prefix !== "string") {
    throw new ConfigError(
      `${who}'s redis.prefix must be a string, as connect-redis's prefix; got ${typeof prefix}.`,
    );
  }
  const redis = connectRedis(options.client);
  const read = async (key: string): Promise<LegacyRecord | undefined> => {
    let json: Reply;
    let ttl: Reply;
    try {
      [json, ttl] = await Promise.all([
        redis.command(key, ["GET", key]),
        redis.command(key, ["PTTL", key]),
      ]);
    } catch (error) {
      // A key under the prefix that is not a string (another program's hash, say) is no
      // session of connect-redis's: malformed, not a store failure.
      if (/^WRONGTYPE/.test(error instanceof Error ? error.message : "")) {
        return { record: undefined, storeExpiresAt: undefined };
      }
      throw error;
    }
    if (typeof json !== "string") return undefined;
    return {
      record: parseJson(json),
      storeExpiresAt: typeof ttl === "number" && ttl >= 0 ? Date.now() + ttl : undefined,
    };
  };
  return {
    description: `connect-redis records ${prefix}* on ${redis.library}`,
    read: (id) => read(prefix + id),
    async remove(id) {
      await redis.command(prefix + id, ["DEL", prefix + id]);
    },
    async *entries() {
      const pattern = `${escapeGlob(prefix)}*`;
      for (const send of await redis.primaries()) {
        let cursor = "0";
        do {
          const reply = (await send(["SCAN", cursor, "MATCH", pattern, "COUNT", "500"])) as Reply[];
          cursor = String(reply[0]);
          // A page's keys are read at once: one round trip per page, not per key.
          const keys = (reply[1] ?? []) as string[];
          const pages = await Promise.all(keys.map(read));
          for (const [index, found] of pages.entries()) {
            const key = keys[index] as string;
            if (found !== undefined) yield { id: key.slice(prefix.length), ...found };
          }
        } while (cursor !== "0");
      }
    },
  };
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_$]*$/;

function postgresRecords(
  options: {
    readonly client: PostgresClientLike;
    readonly table?: string;
    readonly schema?: string;
  },
  who: string,
): LegacyRecords {
  const table = options.table ?? "session";
  const schema = options.schema;
  for (const [name, value] of [
    ["table", table],
    ["schema", schema],
  ] as const) {
    if (value !== undefined && !(typeof value === "string" && IDENTIFIER.test(value))) {
      throw new ConfigError(
        `${who}'s postgres.${name} must be a plain SQL name (letters, digits, _ and $), as connect-pg-simple's ${name === "table" ? "tableName" : "schemaName"}; got ${JSON.stringify(value)}.`,
      );
    }
  }
  const qualified = schema === undefined ? `"${table}"` : `"${schema}"."${table}"`;
  const db = connectPostgres(options.client, { prepare: false });
  // connect-pg-simple writes `expire` as a timestamp without time zone in the session's zone;
  // read back the same way, it is the same instant.
  const columns = `sid, sess::text AS sess, extract(epoch FROM expire::timestamptz) * 1000 AS expire_ms`;
  const recordOf = (row: Readonly<Record<string, unknown>>): LegacyRecord => ({
    record: parseJson(String(row.sess)),
    storeExpiresAt: Number(row.expire_ms),
  });
  return {
    description: `connect-pg-simple's table ${qualified} on ${db.library}`,
    async read(id) {
      const { rows } = await db.query(
        `SELECT ${columns} FROM ${qualified} WHERE sid = $1 AND expire > now()`,
        [id],
      );
      const row = rows[0];
      return row === undefined ? undefined : recordOf(row);
    },
    async remove(id) {
      await db.query(`DELETE FROM ${qualified} WHERE sid = $1`, [id]);
    },
    async *entries() {
      // Keyset pages: rows added or deleted meanwhile neither stop nor repeat the walk.
      let after = "";
      for (;;) {
        const { rows } = await db.query(
          `SELECT ${columns} FROM ${qualified} WHERE sid > $1 AND expire > now() ORDER BY sid LIMIT 500`,
          [after],
        );
        for (const row of rows) yield { id: String(row.sid), ...recordOf(row) };
        const last = rows[rows.length - 1];
        if (last === undefined || rows.length < 500) return;
        after = String(last.sid);
      }
    },
  };
}

/** A record that is not JSON reads as `undefined` record (malformed), not as a failure. */
function parseJson(json: string): unknown {
  try {
    return JSON.parse(json);
  } catch {
    return undefined;
  }
}

function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, "\\$&");
}
