import type { IncomingMessage, ServerResponse } from "node:http";
import { withSessions } from "../src/adapters/node.ts";
import { errorResponse } from "../src/engine/error-response.ts";
import { createSessions, type SessionManager } from "../src/engine/manager.ts";
import { CookieError } from "../src/errors.ts";
import { hasUserIndex, type SessionStore } from "../src/stores/contract.ts";
import {
  cookiePage,
  errorPage,
  FAVICON_SVG,
  homePage,
  loginPage,
  logoutPage,
  MAX_USERNAME_LENGTH,
} from "./pages.ts";

/** The walkthrough's session: who is logged in. */
export interface DemoSession {
  username: string;
}

export interface DemoOptions {
  readonly secret: string;
  /** The session store; undefined with a cookie format. */
  readonly store: SessionStore | undefined;
  /** "id" (default): sessions in the store; "flask" or "sealed": the whole session in the cookie. */
  readonly format?: "id" | "flask" | "sealed";
}

const MAX_FORM_BYTES = 16 * 1024;

/**
 * The Flask cookie-and-session walkthrough on node:http: log in, greet, log out, and a page that
 * sets, reads and deletes a plain cookie. With a store that keeps a per-user index (Redis), a
 * signed-in user can also log out everywhere.
 */
export function createDemoApp(options: DemoOptions): {
  sessions: SessionManager<DemoSession>;
  handler: (req: IncomingMessage, res: ServerResponse) => void;
} {
  const format = options.format ?? "id";
  const sessions =
    format === "id"
      ? createSessions<DemoSession>({
          secret: options.secret,
          ...(options.store === undefined ? {} : { store: options.store }),
        })
      : createSessions<DemoSession>({ secret: options.secret, format });
  const store = options.store;
  const everywhere = hasUserIndex(store);

  const handler = withSessions(
    sessions,
    async (req, res, { session, cookies }) => {
      const path = pathOf(req.url);
      // HEAD is GET without the body; node:http leaves the body out of a HEAD response itself.
      const method = req.method === "HEAD" ? "GET" : req.method;
      const route = `${method} ${path}`;
      switch (route) {
        case "GET /": {
          const current = await session();
          const flashes = current.consumeFlashes().map((flash) => flash.message);
          return sendHtml(res, 200, homePage(current.get("username"), flashes, { everywhere }));
        }
        case "GET /favicon.ico":
          res.writeHead(200, {
            "Content-Type": "image/svg+xml",
            "Content-Length": Buffer.byteLength(FAVICON_SVG),
            "Cache-Control": "public, max-age=86400",
          });
          return res.end(FAVICON_SVG);
        case "GET /login": {
          const current = await session();
          const flashes = current.consumeFlashes().map((flash) => flash.message);
          // Said by the URL, not by a flash: a flash would need a session, and logging out
          // leaves none behind (no record, no cookie).
          if (queryOf(req.url).has("logged-out")) flashes.push("You are logged out.");
          return sendHtml(res, 200, loginPage({ flashes }));
        }
        case "POST /login": {
          const form = await readForm(req);
          if (form === undefined) return tooLarge(req, res);
          const username = form.get("username")?.trim() ?? "";
          if (username.length === 0) {
            return sendHtml(res, 400, loginPage({ error: "Enter a username." }));
          }
          const length = [...username].length;
          if (length > MAX_USERNAME_LENGTH) {
            return sendHtml(
              res,
              400,
              loginPage({
                error: `A username has at most ${MAX_USERNAME_LENGTH} characters; this one has ${length}.`,
              }),
            );
          }
          const current = await session();
          // A new id on login, so an id planted in the browser before login is worthless.
          current.regenerate();
          current.set("username", username);
          current.flash(`Welcome, ${username}.`);
          return redirect(res, "/");
        }
        case "GET /logout": {
          const current = await session();
          return sendHtml(res, 200, logoutPage(current.get("username")));
        }
        case "POST /logout": {
          const current = await session();
          current.destroy();
          return redirect(res, "/login?logged-out");
        }
        case "POST /logout-everywhere": {
          if (!hasUserIndex(store)) {
            return sendHtml(
              res,
              404,
              errorPage(
                404,
                "Not available here",
                `Logging out everywhere needs a store that indexes sessions by user: SESSION_STORE=redis://HOST:PORT or postgres://USER@HOST:PORT/DATABASE (${store === undefined ? `sessions here travel in the cookie (${format}), and a cookie already issued cannot be recalled` : `this one is ${store.kind}`}).`,
              ),
            );
          }
          const current = await session();
          const username = current.get("username");
          if (username === undefined) return redirect(res, "/login");
          // Every session of this user on every machine, this one included; then this request's
          // session ends here too, and goes on empty only to carry the message.
          const ended = await store.revokeUser(username);
          current.destroy();
          current.flash(
            `Logged out everywhere: ${ended} ${ended === 1 ? "session" : "sessions"} ended.`,
          );
          return redirect(res, "/");
        }
        case "GET /api/me": {
          const username = (await session()).get("username");
          return username === undefined
            ? sendJson(res, 401, { error: "Not logged in: POST /login with a username first." })
            : sendJson(res, 200, { username });
        }
        case "GET /cookies":
          return sendHtml(res, 200, cookiePage(cookies.get("user")));
        case "POST /cookies/set": {
          const form = await readForm(req);
          if (form === undefined) return tooLarge(req, res);
          const value = form.get("value") ?? "";
          try {
            cookies.set("user", value, { maxAge: "7d" });
          } catch (error) {
            // Too big for a browser to keep (or otherwise unsendable): say so, and keep the old one.
            if (!(error instanceof CookieError)) throw error;
            return sendHtml(
              res,
              400,
              cookiePage(cookies.get("user"), `The cookie was not changed. ${error.message}`),
            );
          }
          return redirect(res, "/cookies");
        }
        case "POST /cookies/delete":
          cookies.delete("user");
          return redirect(res, "/cookies");
        default:
          return path.startsWith("/api/")
            ? sendJson(res, 404, { error: `No route for ${route}.` })
            : sendHtml(
                res,
                404,
                errorPage(404, "Page not found", `There is no page at ${method} ${path}.`),
              );
      }
    },
    { onError: answerError },
  );
  return { sessions, handler };
}

/**
 * A request that failed before it answered: HTML for the browser's pages, JSON under /api/,
 * with the engine's status (503 and Retry-After for a store outage, 500 otherwise).
 */
function answerError(error: unknown, req: IncomingMessage, res: ServerResponse): void {
  const answer = errorResponse(error);
  if (answer.log) console.error("tessera demo: request failed:", error);
  if (res.headersSent) {
    if (!res.writableEnded) res.destroy();
    return;
  }
  for (const name of res.getHeaderNames()) res.removeHeader(name);
  if (answer.status === 503) res.setHeader("Retry-After", "1");
  const message =
    answer.status === 503
      ? "The session store is not answering; try again shortly."
      : "Something went wrong on the server; it has been logged.";
  if (pathOf(req.url).startsWith("/api/")) sendJson(res, answer.status, { error: message });
  else {
    const title = answer.status === 503 ? "Try again shortly" : "Server error";
    sendHtml(res, answer.status, errorPage(answer.status, title, message));
  }
}

/** The query's parameters (none when there is no query). */
function queryOf(url: string | undefined): URLSearchParams {
  const query = url?.indexOf("?") ?? -1;
  return new URLSearchParams(query === -1 ? "" : url?.slice(query + 1));
}

/** The path without the query; cheaper than a full URL parse on every request. */
function pathOf(url: string | undefined): string {
  if (url === undefined) return "/";
  const query = url.indexOf("?");
  return query === -1 ? url : url.slice(0, query);
}

function sendHtml(res: ServerResponse, status: number, html: string): void {
  res.writeHead(status, {
    "Content-Type": "text/html; charset=utf-8",
    "Content-Length": Buffer.byteLength(html),
    "Cache-Control": "no-store",
  });
  res.end(html);
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const json = JSON.stringify(body);
  res.writeHead(status, {
    "Content-Type": "application/json",
    "Content-Length": Buffer.byteLength(json),
    "Cache-Control": "no-store",
  });
  res.end(json);
}

/** 303 See Other: after a POST the browser follows with a GET. */
function redirect(res: ServerResponse, location: string): void {
  res.writeHead(303, { Location: location, "Content-Length": 0 });
  res.end();
}

/** The urlencoded form body, or undefined when it is larger than any form here can be. */
async function readForm(req: IncomingMessage): Promise<URLSearchParams | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_FORM_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
}

function tooLarge(req: IncomingMessage, res: ServerResponse): void {
  res.setHeader("Connection", "close");
  const message = `Form bodies are limited to ${MAX_FORM_BYTES} bytes; nothing was changed.`;
  if (pathOf(req.url).startsWith("/api/")) sendJson(res, 413, { error: message });
  else sendHtml(res, 413, errorPage(413, "Too large", message));
}
