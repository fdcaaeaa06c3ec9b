/**
 * tessera: cookies and sessions for TypeScript on Node.js.
 *
 * This entry point holds the engine, cookies, secrets and the embedded stores; adapters live at
 * `tessera/node` (and later `tessera/express`, …), store-specific entry points at
 * `tessera/sqlite`, `tessera/memory`, and the store conformance suite at `tessera/testing`.
 */
export {
  type DecodedFlaskSession,
  decodeFlaskSession,
  encodeFlaskSession,
  FlaskFloat,
  type FlaskSessionData,
  FlaskTuple,
  FlaskUUID,
  type FlaskValue,
  Markup,
} from "./codecs/flask/index.ts";
export { SealKeys, sealSession, unsealSession } from "./codecs/sealed/index.ts";
export * from "./cookies/index.ts";
export type { CookieWriter } from "./cookies/jar.ts";
export { Keyring, type KeyringOptions, type Verification } from "./crypto/keyring.ts";
export { generateSecret, MIN_SECRET_BYTES, type Secret } from "./crypto/secret.ts";
export { type ErrorResponse, errorResponse } from "./engine/error-response.ts";
export { createSessions, SessionManager } from "./engine/manager.ts";
export type {
  CookieSessionOptions,
  FlaskCookieSessionOptions,
  FlaskSessionOptions,
  IdSessionOptions,
  ResolvedOptions,
  SealedCookieSessionOptions,
  SessionCookieOptions,
  SessionFormat,
  SessionOptions,
  StoreSessionOptions,
} from "./engine/options.ts";
export { type RequestInfo, RequestScope, type ResponseHeaders } from "./engine/request-scope.ts";
export { ConfigError, CookieError, StoreUnavailableError, TesseraError } from "./errors.ts";
export type { Flash } from "./session/flash.ts";
export {
  type FlaskSessionShape,
  type FlaskSessionValue,
  Session,
  type SessionShape,
  type SessionValue,
} from "./session/session.ts";
export type {
  ApplyOptions,
  ListOptions,
  RenameOptions,
  SessionData,
  SessionPatch,
  SessionStore,
  SessionSummary,
  StoredSession,
} from "./stores/contract.ts";
export { type MemoryStoreOptions, memoryStore } from "./stores/memory.ts";
export { type SqliteStoreOptions, sqliteStore } from "./stores/sqlite.ts";
export type { Duration, DurationUnit } from "./util/duration.ts";
