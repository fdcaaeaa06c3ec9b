/**
 * `fastifySession({ secret, store })`: takes over @fastify/session's sessions. Its cookie is
 * `sessionId` = `<id>.<signature>`, signed by @fastify/cookie's signer (HMAC-SHA256 unless the
 * app chose another `algorithm`, after its `cookiePrefix` if any); its store is an
 * express-session style store (connect-redis…), read the same three ways as express-session's.
 */
import type { LegacyRecordsOptions } from "./legacy-records.ts";
import { recordsFrom, type SignedIdCookieOptions, signedIdSource } from "./signed-id-source.ts";
import type { LegacySource } from "./source.ts";

export type FastifySessionSourceOptions = SignedIdCookieOptions &
  Partial<LegacyRecordsOptions> & {
    /** @fastify/session's `cookieName`, default "sessionId". */
    readonly cookieName?: string;
    /** @fastify/session's `cookiePrefix`, default none. */
    readonly cookiePrefix?: string;
    /** @fastify/session's `algorithm`, default "sha256". */
    readonly algorithm?: string;
  };

export function fastifySession(options: FastifySessionSourceOptions): LegacySource {
  return signedIdSource(
    { ...options, records: recordsFrom(options, "fastifySession()") },
    {
      library: "@fastify/session",
      cookieName: options.cookieName ?? "sessionId",
      prefix: options.cookiePrefix ?? "",
      algorithm: options.algorithm ?? "sha256",
    },
  );
}
