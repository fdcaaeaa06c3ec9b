/** The demo's small HTTP helpers: paths, forms, and the three kinds of answer it sends. */
import type { IncomingMessage, ServerResponse } from "node:http";

const MAX_FORM_BYTES = 16 * 1024;

/** The query's parameters (none when there is no query). */
export function queryOf(url: string | undefined): URLSearchParams {
  const query = url?.indexOf("?") ?? -1;
  return new URLSearchParams(query === -1 ? "" : url?.slice(query + 1));
}

/**
 * The path without the query; cheaper than a full URL parse on every request. A request line
 * may name the whole URL (`GET http://host/inspect`, RFC 9112 §3.2.2): its path is the same.
 */
export function pathOf(url: string | undefined): string {
  if (url === undefined) return "/";
  const start = url.startsWith("/") ? 0 : absolutePathStart(url);
  const query = url.indexOf("?", start);
  return url.slice(start, query === -1 ? undefined : query) || "/";
}

/** Where the path begins in an absolute-form target (`http://host/path`); the end when none. */
function absolutePathStart(url: string): number {
  const scheme = url.indexOf("://");
  if (scheme === -1) return 0;
  const slash = url.indexOf("/", scheme + 3);
  return slash === -1 ? url.length : slash;
}

const ORIGIN_PROBE = "http://demo.invalid";

/**
 * A path on this site to go back to, or "/": parsed as a browser would (which drops tabs and
 * newlines, so "/\t/evil.example" is "//evil.example", another host), kept only when it stays
 * on this origin, and given back percent-encoded, safe for a Location header.
 */
export function localPath(candidate: string | null | undefined): string {
  if (candidate == null || !candidate.startsWith("/")) return "/";
  let url: URL;
  try {
    url = new URL(candidate, ORIGIN_PROBE);
  } catch {
    return "/";
  }
  const path = url.pathname + url.search + url.hash;
  // "/.//host" resolves to the path "//host", which a Location header would send off-site.
  // Nor "/%5c…" or "/%2f…": a slash or backslash that some client might decode first.
  return url.origin === ORIGIN_PROBE && !/^\/([/\\]|%2f|%5c)/i.test(path) ? path : "/";
}

/**
 * Whether a browser sent this request from another site: a form on another page posting here.
 * Browsers say so in Sec-Fetch-Site, and older ones in Origin; a request with neither (curl, a
 * script) is not a browser's, and cannot carry the victim's cookies anyway.
 */
export function isCrossSite(req: IncomingMessage): boolean {
  const site = req.headers["sec-fetch-site"];
  if (site !== undefined) return site !== "same-origin" && site !== "none";
  const origin = req.headers.origin;
  if (origin === undefined || req.headers.host === undefined) return false;
  try {
    return new URL(origin).host !== req.headers.host;
  } catch {
    return true;
  }
}

export function sendHtml(res: ServerResponse, status: number, html: string): void {
  res.writeHead(status, {
    "Content-Type": "text/html; charset=utf-8",
    "Content-Length": Buffer.byteLength(html),
    "Cache-Control": "no-store",
  });
  res.end(html);
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const json = JSON.stringify(body);
  res.writeHead(status, {
    "Content-Type": "application/json",
    "Content-Length": Buffer.byteLength(json),
    "Cache-Control": "no-store",
  });
  res.end(json);
}

/** 303 See Other: after a POST the browser follows with a GET. */
export function redirect(res: ServerResponse, location: string): void {
  res.writeHead(303, { Location: location, "Content-Length": 0 });
  res.end();
}

/**
 * Starts an HTML response and resolves once its head has really gone out, with the Set-Cookie
 * lines it carried: the session is committed as the head goes, so only then is its cookie known.
 * Resolves to undefined when the commit failed (the adapter has answered with an error instead).
 */
export async function startHtml(
  res: ServerResponse,
  status: number,
): Promise<string[] | undefined> {
  res.setHeader("Content-Type", "text/html; charset=utf-8");
  res.setHeader("Cache-Control", "no-store");
  res.writeHead(status);
  // While the commit runs, writes are held and report backpressure; "drain" says they went.
  if (!res.write("<!doctype html>\n")) {
    await new Promise<void>((resolve) => {
      const done = (): void => {
        res.off("drain", done);
        res.off("close", done);
        resolve();
      };
      res.on("drain", done);
      res.on("close", done);
    });
  }
  if (!res.headersSent || res.writableEnded || res.statusCode !== status) return undefined;
  const setCookie = res.getHeader("Set-Cookie");
  return setCookie === undefined ? [] : Array.isArray(setCookie) ? setCookie : [String(setCookie)];
}

/** The urlencoded form body, or undefined when it is larger than any form here can be. */
export async function readForm(req: IncomingMessage): Promise<URLSearchParams | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_FORM_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
}

export const FORM_LIMIT_BYTES = MAX_FORM_BYTES;
