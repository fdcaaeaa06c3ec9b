/**
 * Every fuzz target, in the order the runner goes through them. fuzz.test.ts runs each briefly
 * in `npm test`; run.ts (`npm run fuzz`) runs each for a million inputs or more.
 */
import type { FuzzTarget } from "./target.ts";
import { cookieHeaderTarget, cookieSigningTarget, setCookieTarget } from "./targets/cookies.ts";
import { flaskCookieTarget, sealedCookieTarget } from "./targets/data-cookies.ts";
import { engineTargets } from "./targets/engine.ts";
import {
  flaskSessionIdTarget,
  tesseraIdTarget,
  unsignedFlaskSessionIdTarget,
} from "./targets/ids.ts";
import { msgpackTarget } from "./targets/msgpack.ts";
import {
  flaskSessionJsonTarget,
  flaskSessionRecordTarget,
  jsonRecordsTarget,
} from "./targets/records.ts";
import { redisHashTarget } from "./targets/redis-hash.ts";

export const targets: readonly FuzzTarget[] = [
  cookieHeaderTarget,
  setCookieTarget,
  cookieSigningTarget,
  tesseraIdTarget,
  flaskSessionIdTarget,
  unsignedFlaskSessionIdTarget,
  flaskCookieTarget,
  sealedCookieTarget,
  msgpackTarget,
  jsonRecordsTarget,
  flaskSessionJsonTarget,
  flaskSessionRecordTarget,
  redisHashTarget,
  ...engineTargets,
];
