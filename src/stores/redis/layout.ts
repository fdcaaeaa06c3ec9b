/**
 * Where sessions live in Redis, meant to be read with redis-cli:
 *
 *   session:<id>          a hash: one field per session key, its value as JSON, plus
 *                         `@created` and `@expires` (ms since the epoch); the key's TTL is
 *                         the remaining lifetime, so `redis-cli pttl` shows when the session
 *                         ends. `@expires` says the same in the hash itself, so a read is one
 *                         HGETALL; a record written before it existed is read with PTTL.
 *   session:user:<user>   a sorted set of the ids of one user's sessions (with `userKey`).
 *
 * On Redis Cluster a session key carries a hash tag, `session:{abc}<rest of id>`, made of the
 * id's first three characters; a regenerated id keeps them (see `renameTarget`), so the old and
 * new keys share a slot and the rename stays one atomic script.
 */

/** The hash field holding the creation time. `@` marks tessera's own fields. */
export const CREATED_FIELD = "@created";

/** The hash field holding the expiry the key's TTL was last set to, so a read needs no PTTL. */
export const EXPIRES_FIELD = "@expires";

/** Characters of the id that form the hash tag on Redis Cluster (18 bits: spreads evenly over 16384 slots). */
export const HASH_TAG_LENGTH = 3;

/**
 * Session keys become hash fields as they are, except that a key starting with `@` gets one
 * more `@`, so no session key can overwrite tessera's own fields.
 */
export function fieldOf(sessionKey: string): string {
  return sessionKey.charCodeAt(0) === 64 ? `@${sessionKey}` : sessionKey;
}

/** The session key a field holds, or undefined for tessera's own fields. */
export function sessionKeyOf(field: string): string | undefined {
  if (field.charCodeAt(0) !== 64) return field;
  return field.charCodeAt(1) === 64 ? field.slice(1) : undefined;
}

export class KeyLayout {
  readonly prefix: string;
  readonly cluster: boolean;
  /** Prefix of the per-user index keys. */
  readonly userPrefix: string;

  constructor(prefix: string, cluster: boolean) {
    this.prefix = prefix;
    this.cluster = cluster;
    this.userPrefix = `${prefix}user:`;
  }

  sessionKey(id: string): string {
    if (!this.cluster) return this.prefix + id;
    return `${this.prefix}{${id.slice(0, HASH_TAG_LENGTH)}}${id.slice(HASH_TAG_LENGTH)}`;
  }

  /** The id a session key belongs to, for SCAN results (whose keys the client gives back whole). */
  idOf(key: string): string | undefined {
    if (!key.startsWith(this.prefix)) return undefined;
    const rest = key.slice(this.prefix.length);
    if (!this.cluster) return rest;
    if (rest.charCodeAt(0) !== 123) return undefined;
    const close = rest.indexOf("}");
    return close === -1 ? undefined : rest.slice(1, close) + rest.slice(close + 1);
  }

  userKey(userId: string): string {
    return this.userPrefix + userId;
  }

  /** SCAN's MATCH pattern for every key under the prefix, glob characters escaped. */
  scanPattern(clientPrefix: string): string {
    return `${(clientPrefix + this.prefix).replace(/[*?[\]\\]/g, "\\$&")}*`;
  }
}
