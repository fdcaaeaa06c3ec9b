/**
 * The Cookie header parser: every request with cookies goes through it. parseCookieHeader is
 * what `cookies.get` and the session cookie's presence check read; parseAllValues is what the
 * session transports read (every value of the session cookie's name, for cookie tossing).
 */
import { parseAllValues, parseCookieHeader } from "../../src/cookies/parse.ts";
import type { MicroCase, MicroGroup } from "./case.ts";

/** A session cookie as tessera's "id" format sends it: a 43-character id, a dot, a 43-character HMAC. */
export const SESSION_VALUE =
  "q3Vb0mYtQy2c8Zr1xW7nLpK4sJ9dF6hG5aE2uT0iOxM.T7pA9bC3dE5fG1hI4jK6lM8nO0pQ2rS4tU6vW8xY0zA";

export const ONE_COOKIE_HEADER = `session=${SESSION_VALUE}`;

/** What a browser sends to a typical site: analytics, preferences, CSRF, and the session third. */
export const SIX_COOKIE_HEADER = [
  "_ga=GA1.1.1467302561.1714402842",
  "theme=dark",
  `session=${SESSION_VALUE}`,
  "csrftoken=3f8e2c1a9b7d4e6f0a1b2c3d4e5f6a7b",
  "_ga_K7Q2XYZ9AB=GS1.1.1714402842.3.1.1714403012.0.0.0",
  "lang=en-US",
].join("; ");

export const cases = {
  headerOne: {
    name: "parseCookieHeader: 1 cookie",
    fn: () => parseCookieHeader(ONE_COOKIE_HEADER),
  },
  headerSix: {
    name: "parseCookieHeader: 6 cookies",
    fn: () => parseCookieHeader(SIX_COOKIE_HEADER),
  },
  allValuesOne: {
    name: "parseAllValues(session): 1 cookie",
    fn: () => parseAllValues(ONE_COOKIE_HEADER, "session"),
  },
  allValuesSix: {
    name: "parseAllValues(session): 6 cookies",
    fn: () => parseAllValues(SIX_COOKIE_HEADER, "session"),
  },
} satisfies Record<string, MicroCase>;

export const groups: readonly MicroGroup[] = [
  { name: "cookie parsing", cases: Object.values(cases) },
];
