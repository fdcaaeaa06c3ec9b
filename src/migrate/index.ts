/**
 * `tessera/migrate`: the session libraries an app can switch from without logging anyone out.
 * Pass one (or several) as `migrateFrom` to `createSessions`; see README "Switching to tessera".
 */
export { type CookieSessionSourceOptions, cookieSession } from "./cookie-session.ts";
export { type ExpressSessionSourceOptions, expressSession } from "./express-session.ts";
export { type FastifySessionSourceOptions, fastifySession } from "./fastify-session.ts";
export { type IronSessionSourceOptions, ironSession } from "./iron-session.ts";
export type {
  LegacyCookie,
  LegacyCookieName,
  LegacyCookieReader,
  LegacyFinding,
  LegacySession,
  LegacySource,
} from "./source.ts";
