/**
 * `tessera/extend`: the engine's seams, for authors of adapters, stores and tools. Applications
 * need none of it; their entry is `tessera`. docs/architecture.md shows how the pieces fit.
 *
 * - An adapter turns its framework's request into a `RequestInfo`, calls `manager.begin(info)`,
 *   hands the application the scope's session and cookies, calls `scope.commit(status)` before
 *   the response's headers go out (adding the `ResponseHeaders` it returns), or
 *   `scope.discard()` when the handler failed, and answers errors with `errorResponse(error)`.
 * - A store implements `SessionStore` (with the patch types below) and proves it with
 *   `runStoreConformance` from `tessera/testing`.
 * - The codecs read and write the cookie formats outside a request (migrations, tooling).
 */
export {
  type DecodedFlaskSession,
  decodeFlaskSession,
  encodeFlaskSession,
  type FlaskSessionData,
  type FlaskValue,
} from "./codecs/flask/index.ts";
export { SealKeys, sealSession, unsealSession } from "./codecs/sealed/index.ts";
export type { CookiesContext, CookieWriter } from "./cookies/jar.ts";
export { MAX_COOKIE_HEADER_LENGTH, parseAllValues, parseCookieHeader } from "./cookies/parse.ts";
export { serializeDeletion, serializeSetCookie } from "./cookies/serialize.ts";
export { MAX_SET_COOKIE_BYTES } from "./cookies/size.ts";
export { Keyring, type KeyringOptions, type Verification } from "./crypto/keyring.ts";
export { MIN_SECRET_BYTES } from "./crypto/secret.ts";
export { type ErrorResponse, errorResponse } from "./engine/error-response.ts";
export type { ResolvedOptions } from "./engine/options.ts";
export { type RequestInfo, RequestScope, type ResponseHeaders } from "./engine/request-scope.ts";
export {
  type ApplyOptions,
  EMPTY_PATCH,
  keepsCreatedAt,
  type ListOptions,
  type RenameOptions,
  type SessionData,
  type SessionPatch,
  type StoreCapabilities,
  type StoredSession,
} from "./stores/contract.ts";
