/** `tessera/redis`: the session store for many machines, on node-redis or ioredis. */

/** What a Flask-Session record's unknown MessagePack extension reads as (re-set, it round-trips). */
export { MsgpackExtension } from "../../codecs/msgpack/index.ts";
export type { RedisClientLike } from "./connection.ts";
export type { FlaskSerializer } from "./flask-session-format.ts";
export { type RedisLayout, type RedisStore, type RedisStoreOptions, redisStore } from "./store.ts";
export type { UserId } from "./user-ids.ts";
