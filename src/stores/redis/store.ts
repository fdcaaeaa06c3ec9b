/**
 * The Redis session store: the store for many machines. Each operation is one round trip (a
 * plain command or one Lua script), each session is one inspectable key whose TTL is its
 * remaining lifetime (a hash by default, or Flask-Session's own record with the
 * "flask-session" layout), and an outage is a quick, clear StoreUnavailableError (adapters
 * answer 503) instead of a hung or crashed process.
 */
import { ConfigError, isCallerError, StoreUnavailableError } from "../../errors.ts";
import { Deadlines } from "../../util/deadlines.ts";
import { type Duration, toMilliseconds } from "../../util/duration.ts";
import type {
  ApplyOptions,
  ListOptions,
  RenameOptions,
  SessionPatch,
  SessionStore,
  SessionSummary,
  StoreCapabilities,
  StoredSession,
} from "../contract.ts";
import { listLimit } from "../json-records.ts";
import { requireUserId } from "../user-ids.ts";
import {
  clientKeyPrefix,
  connect,
  type RedisClientLike,
  type RedisConnection,
} from "./connection.ts";
import { type FlaskSerializer, flaskSessionFormat } from "./flask-session-format.ts";
import { hashFormat } from "./hash-format.ts";
import { HASH_TAG_LENGTH, KeyLayout } from "./layout.ts";
import type { RecordFormat } from "./record-format.ts";
import { INDEX_SESSION, runScript, scriptCall } from "./scripts.ts";
import { type UserId, userIdOf } from "./user-ids.ts";

/** How sessions are kept in Redis. */
export type RedisLayout = "hash" | "flask-session";

export interface RedisStoreOptions {
  /**
   * A connected client: `createClient()`, `createCluster()` or `createSentinel()` from "redis"
   * (node-redis 5 or later, after `await client.connect()`), or `new Redis()` / `new Cluster()`
   * from "ioredis". The store never closes it: the application does, after `sessions.close()`.
   */
  readonly client: RedisClientLike;
  /** Prefix of every key the store writes. Default "session:", as Flask-Session. */
  readonly prefix?: string;
  /**
   * The session key that holds the signed-in user's id (a string or number), such as "userId".
   * With it the store keeps a per-user index, for `listByUser` and `revokeUser`.
   */
  readonly userKey?: string;
  /** Give up on a Redis call after this long. Default "1s". */
  readonly timeout?: Duration;
  /**
   * How a session is kept. `"hash"` (the default): one hash per session, one JSON field per
   * key, so a change writes only the changed fields. `"flask-session"`: one string key per
   * session holding the whole session dict as Flask-Session 0.7+ writes it, so a Flask app
   * with Flask-Session and this app share sessions through one Redis (with Flask-Session's
   * `SESSION_KEY_PREFIX` as `prefix`). Changes are still per-key and atomic (applied inside
   * Redis); `createdAt` is not kept (Flask-Session has none), and Redis Cluster is refused.
   */
  readonly layout?: RedisLayout;
  /**
   * `layout: "flask-session"` only: how new records are written, as Flask-Session's
   * `SESSION_SERIALIZATION_FORMAT`: `"msgpack"` (the default, as Flask-Session's) or `"json"`.
   * Records in either are read, and a record keeps the serialization it has.
   */
  readonly serializer?: FlaskSerializer;
}

interface Outcomes {
  readonly timedOut: () => Error;
  readonly failed: (error: unknown) => unknown;
}

/**
 * A SessionStore with the per-user operations Redis supports. With `layout: "flask-session"`
 * its capabilities say it keeps no creation time (so an absolute lifetime cannot be enforced)
 * and serves format "flask-session" only; with `userKey` they declare the user index.
 */
export interface RedisStore extends SessionStore {
  readonly kind: "redis";
  readonly layout: RedisLayout;
  readonly capabilities: StoreCapabilities;
  /**
   * The live sessions of one user (needs `userKey`). Index entries of sessions that ended or
   * changed hands are dropped on the way.
   */
  listByUser(userId: UserId): AsyncIterable<SessionSummary>;
  /** Ends every session of one user ("log out everywhere"); resolves to how many ended. */
  revokeUser(userId: UserId): Promise<number>;
}

const SCAN_BATCH = "500";
/**
 * An index is tidied when a login brings it to this many entries, or to any power of two above:
 * an index of dead entries never grows past twice what it held after its last tidy, and a user
 * with many live sessions (whom a tidy cannot shrink) costs one check per session per doubling,
 * not one per login.
 */
const INDEX_TIDY_AT = 64;
/**
 * How long an index entry whose session is not (yet) there is kept: the entry is written just
 * before the session, and a write can take up to the store's timeout, and longer on a hung
 * server; a minute is far beyond both.
 */
const INDEX_GRACE_MS = 60_000;

export function redisStore(options: RedisStoreOptions): RedisStore {
  if (options === null || typeof options !== "object" || options.client === undefined) {
    throw new ConfigError(
      "redisStore needs { client }: a connected node-redis or ioredis client, e.g. redisStore({ client: await createClient({ url }).connect() }).",
    );
  }
  const prefix = options.prefix ?? "session:";
  if (typeof prefix !== "string") {
    throw new ConfigError(`redisStore prefix must be a string; got ${String(prefix)}.`);
  }
  const userKey = options.userKey;
  if (userKey !== undefined && (typeof userKey !== "string" || userKey === "")) {
    throw new ConfigError(
      `redisStore userKey must be the name of a session key, such as "userId"; got ${JSON.stringify(userKey)}.`,
    );
  }
  const timeoutMs = toMilliseconds(options.timeout ?? "1s", "redisStore timeout");
  if (timeoutMs <= 0) {
    throw new ConfigError(`redisStore timeout must be positive; got ${String(options.timeout)}.`);
  }
  const layoutName = checkLayoutOptions(options);
  const connection = connect(options.client);
  const layout = new KeyLayout(prefix, connection.cluster && layoutName === "hash");
  const clientPrefix = clientKeyPrefix(options.client);
  if (connection.cluster && layoutName === "flask-session") {
    connection.release();
    throw new ConfigError(
      'redisStore layout "flask-session" does not work on Redis Cluster: Flask-Session\'s keys (session:<id>) carry no hash tag, so a session and its regenerated id fall in different slots and regenerate could not move the record atomically (Flask-Session itself takes a single-node redis.Redis client). Use a single Redis server or Sentinel for sessions shared with Flask, or the default layout on Cluster.',
    );
  }
  if (connection.cluster && (clientPrefix + prefix).includes("{")) {
    connection.release();
    throw new ConfigError(
      `redisStore prefix ${JSON.stringify(clientPrefix + prefix)} contains "{". On Redis Cluster the store puts a hash tag of its own in every session key, so that a session and its regenerated id share a slot; a "{" before it would be taken as the hash tag instead and break regenerate. Use a prefix without braces, such as "session:".`,
    );
  }
  const format: RecordFormat =
    layoutName === "hash"
      ? hashFormat(connection, userKey)
      : flaskSessionFormat(connection, {
          serializer: options.serializer ?? "msgpack",
          userKey,
        });

  const deadlines = new Deadlines(timeoutMs);

  /** Runs one operation with the store's deadline, failing fast while the client is down. */
  function guarded<R>(operation: string, call: () => Promise<R>): Promise<R> {
    const notReady = connection.notReadyReason();
    if (notReady !== undefined) {
      return Promise.reject(
        new StoreUnavailableError(
          operation,
          `Redis is unavailable for ${operation}: ${notReady}${describeLastError(connection)}.`,
        ),
      );
    }
    const outcomes = outcomesOf(operation);
    return deadlines.run(call, outcomes.timedOut, outcomes.failed);
  }

  /** The errors an operation ends in, made once per operation name rather than per call. */
  const outcomesByOperation = new Map<string, Outcomes>();
  function outcomesOf(operation: string): Outcomes {
    let outcomes = outcomesByOperation.get(operation);
    if (outcomes === undefined) {
      outcomes = {
        timedOut: () =>
          new StoreUnavailableError(
            operation,
            `Redis did not answer ${operation} within ${timeoutMs} ms${describeLastError(connection)}; check that it is running and reachable (redisStore's timeout option sets this limit).`,
          ),
        failed: (error) => {
          // A value that cannot be stored is the application's bug (a 500 naming the key), and
          // an outage is already one.
          if (isCallerError(error) || error instanceof StoreUnavailableError) return error;
          return new StoreUnavailableError(
            operation,
            `Redis failed during ${operation}: ${error instanceof Error ? error.message : String(error)}`,
            { cause: error },
          );
        },
      };
      outcomesByOperation.set(operation, outcomes);
    }
    return outcomes;
  }

  /** The user a renamed session will hold: the patch's, else the one stored under `fromKey`. */
  async function userAfterRename(
    fromKey: string,
    patch: SessionPatch,
  ): Promise<string | undefined> {
    if (userKey === undefined) return undefined;
    if (patch.set.has(userKey)) return userIdOf(patch.set.get(userKey));
    if (patch.clear || patch.delete.has(userKey)) return undefined;
    return userIdOf(await format.storedUser(fromKey));
  }

  /** The user a write names, when the store keeps an index and the patch sets the user key. */
  function userNamedBy(patch: SessionPatch): string | undefined {
    if (userKey === undefined || !patch.set.has(userKey)) return undefined;
    return userIdOf(patch.set.get(userKey));
  }

  /**
   * Adds a session to its user's index. It runs before the write that stores the user id, so
   * a failure here fails the request with nothing stored, and an entry whose write then fails
   * is harmless: every index read checks the session itself. An index that reaches
   * INDEX_TIDY_AT entries, or a power of two above it, is also tidied, after the response, so a
   * user who signs in every day for years without anyone listing their sessions does not grow
   * it without end.
   */
  async function indexUser(
    user: string,
    id: string,
    expiresAt: number,
    how: "add" | "touch" = "add",
  ): Promise<void> {
    const indexKey = layout.userKey(user);
    const now = Date.now();
    const count = await runScript((args) => connection.command(indexKey, args), INDEX_SESSION, [
      ...scriptCall(INDEX_SESSION, [indexKey]),
      id,
      how,
      String(now),
      String(expiresAt - now),
    ]);
    if (typeof count === "number" && count >= INDEX_TIDY_AT && (count & (count - 1)) === 0) {
      // Housekeeping: a failure here changes nothing anyone relies on.
      tidyIndex(indexKey, user).catch(() => {});
    }
  }

  /**
   * After a write or an expiry refresh that moved a session's expiry, its user's index must live
   * as long (or `revokeUser` would miss the session once the index expired). The user is read
   * from the session in the same round trip as the write (`pendingUser`, sent just after it).
   */
  async function followIndex(
    id: string,
    pendingUser: Promise<unknown> | undefined,
    expiresAt: number,
  ): Promise<void> {
    if (pendingUser === undefined) return;
    const user = userIdOf(await pendingUser);
    if (user !== undefined) await indexUser(user, id, expiresAt, "touch");
  }

  /**
   * The user id stored in the session under `key`, read alongside a write (undefined without a
   * user index). The read may fail with the write (a dropped connection): it is marked handled
   * at once, since the caller awaits it only once the write succeeded, and an unhandled
   * rejection would end the process.
   */
  function userOf(key: string): Promise<unknown> | undefined {
    if (userKey === undefined) return undefined;
    const pending = format.storedUser(key);
    pending.catch(() => {});
    return pending;
  }

  /** Removes an ended session's entry from its user's index (`user` read before it ended). */
  async function unindex(id: string, pendingUser: Promise<unknown> | undefined): Promise<void> {
    if (pendingUser === undefined) return;
    const user = userIdOf(await pendingUser);
    if (user === undefined) return;
    const indexKey = layout.userKey(user);
    await connection.command(indexKey, ["ZREM", indexKey, id]);
  }

  /**
   * The live sessions in one user's index; drops the entries of every other. An entry younger
   * than INDEX_GRACE_MS whose session is not there is kept: its write may still be on its way
   * (the index entry goes first).
   */
  async function tidyIndex(indexKey: string, user: string) {
    const entries = await indexEntries(indexKey);
    const found = await Promise.all(entries.map(({ id }) => ownedSummary(id, user)));
    const settledBefore = Date.now() - INDEX_GRACE_MS;
    const gone = entries
      .filter(({ indexedAt }, index) => found[index] === undefined && indexedAt < settledBefore)
      .map(({ id }) => id);
    if (gone.length > 0) await connection.command(indexKey, ["ZREM", indexKey, ...gone]);
    return found.filter((summary) => summary !== undefined);
  }

  /**
   * The keys of one type matching a pattern, one SCAN batch at a time (each call with its own
   * deadline), so walking millions of keys never holds them all in memory.
   */
  async function* scanBatches(
    operation: string,
    type: string,
    match: string,
  ): AsyncIterable<string[]> {
    const primaries = await guarded(operation, () => connection.primaries());
    for (const send of primaries) {
      let cursor = "0";
      do {
        const args = ["SCAN", cursor, "MATCH", match, "COUNT", SCAN_BATCH, "TYPE", type];
        const reply = await guarded(operation, () => send(args));
        if (!Array.isArray(reply) || reply.length !== 2 || !Array.isArray(reply[1])) {
          throw new StoreUnavailableError(
            operation,
            `Redis answered SCAN with ${JSON.stringify(reply)}, not a cursor and a list of keys; is this a Redis (6.0 or newer) server?`,
          );
        }
        cursor = String(reply[0]);
        const keys: string[] = [];
        for (const key of reply[1]) {
          if (typeof key === "string") keys.push(key.slice(clientPrefix.length));
        }
        if (keys.length > 0) yield keys;
      } while (cursor !== "0");
    }
  }

  async function ownedSummary(id: string, user: string): Promise<SessionSummary | undefined> {
    const times = await format.ownedTimes(layout.sessionKey(id), user);
    return times === undefined ? undefined : { id, ...times };
  }

  /** One user's index: session ids with the time each was indexed. */
  async function indexEntries(indexKey: string): Promise<{ id: string; indexedAt: number }[]> {
    const reply = await connection.command(indexKey, ["ZRANGE", indexKey, "0", "-1", "WITHSCORES"]);
    const entries: { id: string; indexedAt: number }[] = [];
    if (!Array.isArray(reply)) return entries;
    // RESP2 gives a flat [member, score, …] list; RESP3 clients may give [member, score] pairs.
    const flat = reply.flat();
    for (let index = 0; index + 1 < flat.length; index += 2) {
      const id = flat[index];
      if (typeof id === "string") entries.push({ id, indexedAt: Number(flat[index + 1]) });
    }
    return entries;
  }

  function requireUserKey(operation: string): void {
    if (userKey === undefined) {
      throw new ConfigError(
        `${operation} needs the store to know which session key holds the user id: redisStore({ client, userKey: "userId" }).`,
      );
    }
  }

  return {
    kind: "redis",
    layout: layoutName,
    capabilities: {
      keepsCreatedAt: format.keepsCreatedAt,
      format: layoutName === "hash" ? "id" : "flask-session",
      userIndex: userKey !== undefined,
    },

    get(id: string): Promise<StoredSession | undefined> {
      return guarded("get", () => format.read(layout.sessionKey(id), id));
    },

    apply(id: string, patch: SessionPatch, options: ApplyOptions): Promise<boolean> {
      return guarded("apply", async () => {
        // Values are encoded first: one that cannot be stored rejects with nothing sent.
        const key = layout.sessionKey(id);
        const write = format.prepareApply(key, patch, options);
        const user = userNamedBy(patch);
        if (user !== undefined) {
          await indexUser(user, id, options.expiresAt);
          return write();
        }
        // Sent right behind the write, so both share one round trip.
        const written = write();
        const pendingUser = userOf(key);
        if (!(await written)) return false;
        await followIndex(id, pendingUser, options.expiresAt);
        return true;
      });
    },

    touch(id: string, expiresAt: number): Promise<void> {
      return guarded("touch", async () => {
        // A missing key stays missing, and a non-positive time deletes the key.
        const key = layout.sessionKey(id);
        const touched = format.touch(key, expiresAt);
        const pendingUser = userOf(key);
        if (!(await touched)) return;
        await followIndex(id, pendingUser, expiresAt);
      });
    },

    destroy(id: string): Promise<void> {
      return guarded("destroy", async () => {
        const key = layout.sessionKey(id);
        // The user is read just before the record goes, in the same round trip, so the logout
        // also takes the session out of its user's index.
        const pendingUser = userOf(key);
        await connection.command(key, ["DEL", key]);
        await unindex(id, pendingUser);
      });
    },

    rename(fromId: string, toId: string, options: RenameOptions): Promise<boolean> {
      return guarded("rename", async () => {
        const fromKey = layout.sessionKey(fromId);
        const write = format.prepareRename(
          fromKey,
          layout.sessionKey(toId),
          options.patch,
          options.expiresAt,
        );
        // The new id goes into its user's index before the record moves (see indexUser), and
        // the old one leaves it once the record has moved.
        const user = await userAfterRename(fromKey, options.patch);
        if (user !== undefined) await indexUser(user, toId, options.expiresAt);
        const renamed = await write();
        if (renamed && user !== undefined && fromId !== toId) {
          const indexKey = layout.userKey(user);
          await connection.command(indexKey, ["ZREM", indexKey, fromId]);
        }
        return renamed;
      });
    },

    renameTarget(fromId: string, freshId: string): string {
      // On a cluster the new id keeps the old one's hash tag, so both keys share a slot and
      // the rename is one script; the rest of the id (234 bits) is freshly random.
      if (!connection.cluster || fromId.length <= HASH_TAG_LENGTH) return freshId;
      return fromId.slice(0, HASH_TAG_LENGTH) + freshId.slice(HASH_TAG_LENGTH);
    },

    async *list(listOptions?: ListOptions): AsyncIterable<SessionSummary> {
      const limit = listLimit(listOptions);
      if (limit === 0) return;
      const pattern = layout.scanPattern(clientPrefix);
      let yielded = 0;
      for await (const keys of scanBatches("list", format.keyType, pattern)) {
        const sessions: { id: string; key: string }[] = [];
        for (const key of keys) {
          const id = layout.idOf(key);
          if (id !== undefined && !id.includes(":")) sessions.push({ id, key });
        }
        const times = await guarded("list", () =>
          Promise.all(sessions.map(({ key }) => format.times(key))),
        );
        for (const [index, { id }] of sessions.entries()) {
          const found = times[index];
          if (found === undefined) continue; // expired or deleted since the SCAN saw it
          yield { id, ...found };
          yielded += 1;
          if (yielded >= limit) return;
        }
      }
    },

    async *listByUser(user: UserId): AsyncIterable<SessionSummary> {
      requireUserKey("listByUser");
      const canonical = requireUserId(user);
      const indexKey = layout.userKey(canonical);
      const summaries = await guarded("listByUser", () => tidyIndex(indexKey, canonical));
      yield* summaries;
    },

    async revokeUser(user: UserId): Promise<number> {
      requireUserKey("revokeUser");
      const canonical = requireUserId(user);
      const indexKey = layout.userKey(canonical);
      return guarded("revokeUser", async () => {
        const entries = await indexEntries(indexKey);
        const ended = await Promise.all(
          entries.map(({ id }) => format.destroyIfOwned(layout.sessionKey(id), canonical)),
        );
        // Entries read here leave the index, but for a young one whose session is not there
        // yet (its write may be on its way): a login that lands meanwhile keeps its entry.
        const settledBefore = Date.now() - INDEX_GRACE_MS;
        const done = entries
          .filter(({ indexedAt }, index) => ended[index] === true || indexedAt < settledBefore)
          .map(({ id }) => id);
        if (done.length > 0) await connection.command(indexKey, ["ZREM", indexKey, ...done]);
        return ended.filter((deleted) => deleted).length;
      });
    },

    async purgeExpired(): Promise<number> {
      // Redis deletes expired sessions itself (their TTL); what is left to tidy is index
      // entries of sessions that have ended since, and indexes left empty.
      if (userKey === undefined) return 0;
      const pattern = `${(clientPrefix + layout.userPrefix).replace(/[*?[\]\\]/g, "\\$&")}*`;
      for await (const indexKeys of scanBatches("purgeExpired", "zset", pattern)) {
        for (const indexKey of indexKeys) {
          const user = indexKey.slice(layout.userPrefix.length);
          await guarded("purgeExpired", () => tidyIndex(indexKey, user));
        }
      }
      return 0;
    },

    async close(): Promise<void> {
      connection.release();
    },
  };
}

/** The layout asked for, after checking that the layout-specific options fit it. */
function checkLayoutOptions(options: RedisStoreOptions): RedisLayout {
  const layout = options.layout ?? "hash";
  if (layout !== "hash" && layout !== "flask-session") {
    throw new ConfigError(
      `redisStore layout must be "hash" (the default) or "flask-session"; got ${JSON.stringify(layout)}.`,
    );
  }
  if (layout === "hash") {
    for (const name of ["serializer"] as const) {
      if (options[name] !== undefined) {
        throw new ConfigError(
          `redisStore ${name} is an option of layout "flask-session" (Flask-Session's records); the default hash layout stores each key as JSON. Add layout: "flask-session", or leave ${name} out.`,
        );
      }
    }
  }
  const serializer = options.serializer;
  if (serializer !== undefined && serializer !== "msgpack" && serializer !== "json") {
    throw new ConfigError(
      `redisStore serializer must be "msgpack" (the default, as Flask-Session's SESSION_SERIALIZATION_FORMAT) or "json"; got ${JSON.stringify(serializer)}.`,
    );
  }
  return layout;
}

function describeLastError(connection: RedisConnection): string {
  const last = connection.lastError();
  return last === undefined ? "" : ` (last ${connection.library} error: ${last})`;
}
