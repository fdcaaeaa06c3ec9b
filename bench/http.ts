/** One-off requests around the load: logging in before it, checking the answers are right. */
import { EXPECTED_BODY, EXPECTED_STATUS } from "./expected.ts";

/** The request the load generator repeats for a contender. */
export interface LoadTarget {
  readonly method: "GET" | "POST";
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  /** The cookie is only ballast (a floor pricing a bigger request): answering without it is fine. */
  readonly cookieIsBallast?: boolean;
  /**
   * Headers for each connection of the load, instead of `headers`: connection i sends
   * `connectionHeaders[i % length]` on every request, so each connection is a user of its own
   * (its own session) and no two connections write one record at once. `headers` is the first.
   */
  readonly connectionHeaders?: readonly Readonly<Record<string, string>>[];
}

export function get(path: string, headers: Record<string, string> = {}): LoadTarget {
  return { method: "GET", path, headers };
}

/**
 * Makes one request that must answer `status` with a Set-Cookie for `cookieName` (or for each
 * of several names: cookie-session signs its cookie in a second one), and returns those cookies
 * as a Cookie header value (`name=value; name2=value2`), as a browser would send them back
 * (the last Set-Cookie of a name winning).
 */
export async function cookieFrom(
  origin: string,
  path: string,
  init: RequestInit & { expectStatus: number; cookieName: string | readonly string[] },
): Promise<string> {
  const response = await fetch(new URL(path, origin), { ...init, redirect: "manual" });
  const body = await response.text();
  if (response.status !== init.expectStatus) {
    throw new Error(
      `${init.method ?? "GET"} ${path} answered ${response.status}, not ${init.expectStatus}: ${body.slice(0, 200)}`,
    );
  }
  const pairs = response.headers.getSetCookie().map((header) => header.split(";", 1)[0] ?? "");
  const names = typeof init.cookieName === "string" ? [init.cookieName] : init.cookieName;
  return names
    .map((name) => {
      const prefix = `${name}=`;
      // The last Set-Cookie of a name wins, as in a browser (hono-sessions sends two on login).
      const cookie = pairs.findLast((pair) => pair.startsWith(prefix));
      if (cookie === undefined || cookie.length === prefix.length) {
        throw new Error(`${init.method ?? "GET"} ${path} set no ${name} cookie.`);
      }
      return cookie;
    })
    .join("; ");
}

/**
 * Fails loudly unless the target answers 200 with the expected body, twice (the second time
 * through whatever state the first left). When the target sends a cookie, also checks that
 * the same request without it does not succeed: otherwise the session would not be exercised.
 */
export async function verifyTarget(origin: string, target: LoadTarget): Promise<void> {
  for (let attempt = 0; attempt < 2; attempt++) {
    const { status, body } = await send(origin, target, target.headers);
    if (status !== EXPECTED_STATUS || body !== EXPECTED_BODY) {
      throw new Error(
        `${target.method} ${target.path} answered ${status} ${JSON.stringify(body.slice(0, 200))}; expected ${EXPECTED_STATUS} ${EXPECTED_BODY}.`,
      );
    }
  }
  if (
    target.cookieIsBallast !== true &&
    Object.keys(target.headers).some((name) => name.toLowerCase() === "cookie")
  ) {
    const withoutCookie = Object.fromEntries(
      Object.entries(target.headers).filter(([name]) => name.toLowerCase() !== "cookie"),
    );
    const { status } = await send(origin, target, withoutCookie);
    if (status === EXPECTED_STATUS) {
      throw new Error(
        `${target.method} ${target.path} answered ${status} without its cookie: the load would not exercise the session.`,
      );
    }
  }
}

async function send(
  origin: string,
  target: LoadTarget,
  headers: Record<string, string>,
): Promise<{ status: number; body: string }> {
  const response = await fetch(new URL(target.path, origin), {
    method: target.method,
    headers,
    redirect: "manual",
  });
  return { status: response.status, body: await response.text() };
}
