/**
 * `tessera/express-session-store`: any express-session store (connect-redis, connect-pg-simple,
 * connect-mongo, express-session's MemoryStore...) as a tessera session store. See bridge.ts for
 * what the bridge cannot do that tessera's own stores do, and how it declares it.
 */
export {
  type ExpressSessionBridge,
  type ExpressSessionBridgeOptions,
  fromExpressSessionStore,
} from "./bridge.ts";
export { BOOKKEEPING_KEY } from "./record.ts";
export type { ExpressSessionStoreLike, StoreCallback } from "./store-like.ts";
