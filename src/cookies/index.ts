export { Cookies, type CookiesContext } from "./jar.ts";
export type { CookieOptions, DeletionOptions } from "./options.ts";
export { MAX_COOKIE_HEADER_LENGTH, parseAllValues, parseCookieHeader } from "./parse.ts";
export { serializeDeletion, serializeSetCookie } from "./serialize.ts";
export { MAX_SET_COOKIE_BYTES } from "./size.ts";
