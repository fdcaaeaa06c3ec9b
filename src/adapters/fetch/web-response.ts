import { errorResponse } from "../../engine/error-response.ts";
import type { RequestInfo, ResponseHeaders } from "../../engine/request-scope.ts";

/** What the engine needs to know of a Web `Request`. */
export function webRequestInfo(request: Request): RequestInfo {
  return {
    cookieHeader: request.headers.get("cookie") ?? undefined,
    // The URL the client asked for: https behind a runtime that terminates TLS itself (Workers).
    encrypted: request.url.startsWith("https:"),
    forwardedProto: request.headers.get("x-forwarded-proto") ?? undefined,
  };
}

/**
 * `response` with the session's Set-Cookie and Vary (and Clear-Site-Data at a logout) added. A response whose headers cannot be
 * changed (`Response.redirect()`, a response from `fetch`) is copied first.
 */
export function withSessionHeaders(response: Response, headers: ResponseHeaders): Response {
  if (
    headers.setCookie.length === 0 &&
    !headers.varyCookie &&
    headers.clearSiteData === undefined
  ) {
    return response;
  }
  try {
    addTo(response.headers, headers);
    return response;
  } catch {
    const copy = new Response(response.body, response);
    addTo(copy.headers, headers);
    return copy;
  }
}

function addTo(target: Headers, headers: ResponseHeaders): void {
  for (const cookie of headers.setCookie) target.append("set-cookie", cookie);
  if (headers.clearSiteData !== undefined) target.set("clear-site-data", headers.clearSiteData);
  if (!headers.varyCookie) return;
  const vary = target.get("vary");
  if (vary === null) {
    target.set("vary", "Cookie");
    return;
  }
  const names = vary
    .split(",")
    .map((name) => name.trim())
    .filter((name) => name.length > 0);
  if (!names.some((name) => name === "*" || name.toLowerCase() === "cookie")) {
    target.set("vary", [...names, "Cookie"].join(", "));
  }
}

/** The engine's error response as a Web Response: 503 for a store outage, 500 otherwise. */
export function webErrorResponse(error: unknown): Response {
  const answer = errorResponse(error);
  if (answer.log) console.error("tessera: request failed:", error);
  return new Response(answer.body, { status: answer.status, headers: answer.headers });
}
