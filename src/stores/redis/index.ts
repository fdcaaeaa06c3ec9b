/** `tessera/redis`: the session store for many machines, on node-redis or ioredis. */
export type { RedisClientLike } from "./connection.ts";
export type { FlaskSerializer } from "./flask-session-format.ts";
export { type RedisLayout, type RedisStore, type RedisStoreOptions, redisStore } from "./store.ts";
export type { UserId } from "./user-ids.ts";
