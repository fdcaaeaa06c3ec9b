/**
 * What both express-session peers share: the middleware, set up as its READMEs recommend
 * (resave false, saveUninitialized false, a secret, an httpOnly cookie lasting tessera's default
 * lifetime) on the run's node-redis client. The workload comes from `benchWorkload()` in
 * serve.ts.
 */
import { randomBytes } from "node:crypto";
import { RedisStore } from "connect-redis";
import session from "express-session";
import { type BenchRedisClient, KEY_PREFIX, THIRTY_ONE_DAYS_MS } from "./redis-client.ts";

declare module "express-session" {
  interface SessionData {
    username: string;
    n: number;
  }
}

export function expressSession(client: BenchRedisClient) {
  return session({
    store: new RedisStore({ client, prefix: KEY_PREFIX }),
    secret: randomBytes(32).toString("base64url"),
    resave: false,
    saveUninitialized: false,
    cookie: { httpOnly: true, sameSite: "lax", maxAge: THIRTY_ONE_DAYS_MS },
  });
}
