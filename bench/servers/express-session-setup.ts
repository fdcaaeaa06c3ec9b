/**
 * What both express-session peers share: the middleware, set up as its READMEs recommend
 * (resave false, saveUninitialized false, a secret, an httpOnly cookie lasting tessera's default
 * lifetime) on the run's node-redis client, or on another store (`expressSessionOn`). The workload comes from `benchWorkload()` in
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
  return expressSessionOn(new RedisStore({ client, prefix: KEY_PREFIX }));
}

/** The same middleware on any express-session store (connect-pg-simple's, for PostgreSQL). */
export function expressSessionOn(store: session.Store) {
  return session({
    store,
    secret: randomBytes(32).toString("base64url"),
    resave: false,
    saveUninitialized: false,
    cookie: { httpOnly: true, sameSite: "lax", maxAge: THIRTY_ONE_DAYS_MS },
  });
}
