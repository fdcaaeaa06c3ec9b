/**
 * `expressSession({ secret, store })`: takes over express-session's sessions. Its cookie is
 * `connect.sid` = `s:<id>.<HMAC-SHA256 signature>`; its records are in the store it used,
 * read through that store object, or straight from Redis (connect-redis's `sess:<id>`) or from
 * connect-pg-simple's `session` table. Without any of them only sessions that `tessera migrate`
 * already moved are found.
 */
import type { LegacyRecordsOptions } from "./legacy-records.ts";
import { recordsFrom, type SignedIdCookieOptions, signedIdSource } from "./signed-id-source.ts";
import type { LegacySource } from "./source.ts";

export type ExpressSessionSourceOptions = SignedIdCookieOptions &
  Partial<LegacyRecordsOptions> & {
    /** express-session's `name`, default "connect.sid". */
    readonly name?: string;
  };

export function expressSession(options: ExpressSessionSourceOptions): LegacySource {
  return signedIdSource(
    { ...options, records: recordsFrom(options, "expressSession()") },
    {
      library: "express-session",
      cookieName: options.name ?? "connect.sid",
      prefix: "s:",
      algorithm: "sha256",
    },
  );
}
