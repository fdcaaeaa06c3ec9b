import type { IncomingMessage } from "node:http";
import type { TLSSocket } from "node:tls";
import type { RequestInfo } from "../engine/request-scope.ts";

/** What the engine needs to know of a node:http request (type imports only: runs anywhere). */
export function nodeRequestInfo(req: IncomingMessage): RequestInfo {
  return {
    cookieHeader: req.headers.cookie,
    encrypted: (req.socket as Partial<TLSSocket> | undefined)?.encrypted === true,
    forwardedProto: firstValue(req.headers["x-forwarded-proto"]),
  };
}

/**
 * A node:http request, told apart without importing node:http (Hono runs on Workers too):
 * what @hono/node-server passes as `c.env.incoming`.
 */
export function isNodeRequest(value: unknown): value is IncomingMessage {
  if (typeof value !== "object" || value === null) return false;
  const { headers, socket } = value as { headers?: unknown; socket?: unknown };
  return typeof headers === "object" && headers !== null && typeof socket === "object";
}

function firstValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
