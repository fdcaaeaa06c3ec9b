/**
 * What every cookie-session contender serves (issue 4: tessera's "flask" and "sealed" formats,
 * cookie-session, iron-session), so they differ only in the library. The whole session travels
 * in the cookie; there is no store.
 *
 * - GET /start logs alice in: the session gets `LOGIN` (a username, a small cart and a CSRF
 *   token, about 80 bytes of JSON) and the parent keeps the cookie it sets.
 * - Any other request with that cookie reads `username` and answers the usual JSON. A write
 *   (BENCH_WORKLOAD=write) also sets `n` to a new counter value on every request, so every
 *   response re-issues the cookie. Without the cookie it answers 401.
 */
import { randomBytes } from "node:crypto";
import type { ServerResponse } from "node:http";
import { sendJson } from "./serve.ts";

export interface CookieSessionData {
  username: string;
  cart: number[];
  csrf: string;
  n: number;
}

/** The session's content after login; the token is 32 base64url characters. */
export const LOGIN: Omit<CookieSessionData, "n"> = {
  username: "alice",
  cart: [1, 2, 3],
  csrf: randomBytes(24).toString("base64url"),
};

/** One secret per process, 43 characters: enough for every library (iron-session wants 32). */
export const SECRET = randomBytes(32).toString("base64url");

/** tessera's default lifetime, 31 days as Flask's; the peers' cookies are given the same. */
export const LIFETIME_SECONDS = 31 * 86_400;

let counter = 0;

/** The next value of the counter a write stores. */
export function nextCount(): number {
  return counter++;
}

/** Answers a request after the session was read: the usual JSON, or 401 with no session. */
export function answer(res: ServerResponse, username: string | undefined): void {
  // Without the 401 a lost cookie would show up as a fast 200 instead of as an error.
  if (username === undefined) {
    sendJson(res, 401, JSON.stringify({ error: "no session: GET /start first" }));
    return;
  }
  sendJson(res, 200, JSON.stringify({ username }));
}
