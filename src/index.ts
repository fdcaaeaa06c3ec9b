/**
 * tessera: cookies and sessions for TypeScript on Node.js. This entry holds what an application
 * needs, and loads no store and no framework:
 *
 * - adapters: `tessera/node`, `tessera/express`, `tessera/fastify`, `tessera/hono`, `tessera/fetch`;
 * - stores: `tessera/sqlite` (the embedded default), `tessera/memory`, `tessera/redis`;
 * - the store conformance suite: `tessera/testing`;
 * - the engine's seams, for authors of adapters, stores and tools: `tessera/extend`.
 */
export { FlaskFloat, FlaskTuple, FlaskUUID, Markup } from "./codecs/flask/tagged-json.ts";
export { Cookies } from "./cookies/jar.ts";
export type { CookieOptions, DeletionOptions } from "./cookies/options.ts";
export { generateSecret, type Secret } from "./crypto/secret.ts";
export {
  channelNames,
  channels,
  type RejectReason,
  type SessionCommitMessage,
  type SessionDestroyMessage,
  type SessionLoadMessage,
  type SessionRegenerateMessage,
  type SessionRejectMessage,
  type SessionTouchMessage,
  type StoreCallMessage,
  type StoreCorruptMessage,
  type StoreErrorMessage,
  sessionRefOf,
} from "./diagnostics.ts";
export { createSessions, SessionManager } from "./engine/manager.ts";
export type {
  ClearSiteDataDirective,
  CookieSessionOptions,
  FlaskCookieSessionOptions,
  FlaskSessionOptions,
  IdSessionOptions,
  SealedCookieSessionOptions,
  SessionCookieOptions,
  SessionFormat,
  SessionOptions,
  StoreSessionOptions,
} from "./engine/options.ts";
export {
  ArgumentError,
  ConfigError,
  CookieError,
  ResponseStartedError,
  SessionValueError,
  StoreUnavailableError,
  TesseraError,
} from "./errors.ts";
export type { Flash } from "./session/flash.ts";
export {
  type FlaskSessionShape,
  type FlaskSessionValue,
  Session,
  type SessionShape,
  type SessionValue,
} from "./session/session.ts";
export {
  hasUserIndex,
  type SessionStore,
  type SessionSummary,
  type UserId,
  type UserIndex,
  type UserIndexStore,
} from "./stores/contract.ts";
export type { Duration } from "./util/duration.ts";
