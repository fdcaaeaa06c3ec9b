/**
 * The Lua scripts that make each session operation one atomic round trip. Every script touches
 * only the keys it declares (KEYS), all in one hash slot, so they run unchanged on Redis
 * Cluster. A key that holds something other than a hash (a corrupt or foreign value) counts as
 * no session, never as an error.
 */
import { createHash } from "node:crypto";
import type { Argument } from "./connection.ts";
import { CREATED_FIELD, EXPIRES_FIELD } from "./layout.ts";

export class Script {
  readonly source: string;
  readonly sha: string;
  constructor(source: string) {
    this.source = source;
    this.sha = createHash("sha1").update(source).digest("hex");
  }
}

/**
 * Lua that applies a patch to the hash in the local `key`, reading ARGV from `first`: clear
 * flag, the number of fields to delete, those fields, then field/value pairs to set; then sets
 * the TTL from ARGV[ttlArg] and `@expires` from ARGV[ttlArg + 1] (deleting the key for a TTL in
 * the past). Inlined rather than a Lua
 * function, which Redis would build again on every call (a quarter of the script's cost).
 * HDEL and HSET go in chunks because Lua's `unpack` has a limit of a few thousand values.
 */
function patchLua(first: number, ttlArg: number): string {
  return `
if ARGV[${first}] == '1' then
  local created = redis.call('HGET', key, '${CREATED_FIELD}')
  redis.call('DEL', key)
  if created then redis.call('HSET', key, '${CREATED_FIELD}', created) end
end
local deletes = tonumber(ARGV[${first + 1}])
local from = ${first + 2}
for i = from, from + deletes - 1, 1000 do
  redis.call('HDEL', key, unpack(ARGV, i, math.min(i + 999, from + deletes - 1)))
end
for i = from + deletes, #ARGV, 1000 do
  redis.call('HSET', key, unpack(ARGV, i, math.min(i + 999, #ARGV)))
end
local ttl = tonumber(ARGV[${ttlArg}])
if ttl > 0 then
  redis.call('PEXPIRE', key, ttl)
  redis.call('HSET', key, '${EXPIRES_FIELD}', ARGV[${ttlArg + 1}])
else
  redis.call('DEL', key)
end
return 1
`;
}

/**
 * KEYS[1] session. ARGV: mustExist ('1'/'0'), ttl ms, expiresAt, createdAt, then the patch.
 * Returns 1 when written, 0 when mustExist was set and there was no session.
 */
export const APPLY = new Script(`
local key = KEYS[1]
local kind = redis.call('TYPE', key).ok
if kind ~= 'hash' then
  if ARGV[1] == '1' then return 0 end
  if kind ~= 'none' then redis.call('DEL', key) end
  redis.call('HSET', key, '${CREATED_FIELD}', ARGV[4])
end
${patchLua(5, 2)}`);

/**
 * KEYS[1] source, KEYS[2] target (same slot). ARGV: ttl ms, expiresAt, then the patch. Returns 0 when
 * there was no source (nothing changes), else 1.
 */
export const RENAME = new Script(`
if redis.call('TYPE', KEYS[1]).ok ~= 'hash' then return 0 end
redis.call('RENAME', KEYS[1], KEYS[2])
local key = KEYS[2]
${patchLua(3, 1)}`);

/**
 * KEYS[1] session. ARGV: ttl ms, expiresAt. Moves the expiry of a session that exists (a TTL in
 * the past deletes it) and its `@expires` with it; returns 1, or 0 when there was none.
 */
export const TOUCH = new Script(`
if redis.call('PEXPIRE', KEYS[1], ARGV[1]) == 0 then return 0 end
if redis.call('TYPE', KEYS[1]).ok == 'hash' then
  redis.call('HSET', KEYS[1], '${EXPIRES_FIELD}', ARGV[2])
end
return 1`);

/**
 * KEYS[1] session. ARGV[1] user field, ARGV[2..] the JSON spellings of one user id. Returns
 * { createdAt, remaining ms } when the session exists and belongs to that user, else nil.
 */
export const OWNED_BY = new Script(`
if redis.call('TYPE', KEYS[1]).ok ~= 'hash' then return nil end
local user = redis.call('HGET', KEYS[1], ARGV[1])
for i = 2, #ARGV do
  if user == ARGV[i] then
    return { redis.call('HGET', KEYS[1], '${CREATED_FIELD}') or '0', redis.call('PTTL', KEYS[1]) }
  end
end
return nil
`);

/** KEYS[1] session; ARGV as OWNED_BY. Deletes the session if it belongs to that user: 1, else 0. */
export const DESTROY_IF_OWNED = new Script(`
if redis.call('TYPE', KEYS[1]).ok ~= 'hash' then return 0 end
local user = redis.call('HGET', KEYS[1], ARGV[1])
for i = 2, #ARGV do
  if user == ARGV[i] then return redis.call('DEL', KEYS[1]) end
end
return 0
`);

/**
 * KEYS[1] a user's index. ARGV: the session id, 'touch' or 'add', the time to score a new entry
 * with (ms), and how long from now (ms) the session lives. 'add' (a login: the write naming the
 * user follows) scores the entry now, for the index's grace period; 'touch' (a write or expiry
 * refresh of a session already indexed) keeps its score, re-adding it only if it went missing.
 * The index's TTL then grows to the session's if shorter (PTTL is -1 for a key without one): it
 * lives as long as its longest-lived session and no longer. Returns the index's size.
 */
export const INDEX_SESSION = new Script(`
local key = KEYS[1]
if ARGV[2] == 'add' then
  redis.call('ZADD', key, ARGV[3], ARGV[1])
else
  redis.call('ZADD', key, 'NX', ARGV[3], ARGV[1])
end
local lives = tonumber(ARGV[4])
if redis.call('PTTL', key) < lives then redis.call('PEXPIRE', key, lives) end
return redis.call('ZCARD', key)`);

/** The start of a script call, `EVALSHA sha numkeys key…`; the caller appends the arguments. */
export function scriptCall(script: Script, keys: readonly string[]): string[] {
  const command = ["EVALSHA", script.sha, String(keys.length)];
  for (const key of keys) command.push(key);
  return command;
}

/**
 * Sends a script call made by `scriptCall`, loading the script on a node that does not have it
 * yet (or lost it on a restart or failover): the same call again as EVAL with the source.
 */
export function runScript<A extends Argument, R>(
  send: (args: A[]) => Promise<R>,
  script: Script,
  command: A[],
): Promise<R> {
  return send(command).catch((error: unknown) => {
    if (!(error instanceof Error) || !error.message.startsWith("NOSCRIPT")) throw error;
    const withSource: Argument[] = [...command];
    withSource[0] = "EVAL";
    withSource[1] = script.source;
    return send(withSource as A[]);
  });
}
