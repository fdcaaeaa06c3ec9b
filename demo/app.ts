import type { IncomingMessage, ServerResponse } from "node:http";
import { withSessions } from "../src/adapters/node.ts";
import { createSessions, type SessionManager } from "../src/engine/manager.ts";
import { hasUserIndex, type SessionStore } from "../src/stores/contract.ts";
import { cookiePage, homePage, loginPage } from "./pages.ts";

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

  const handler = withSessions(sessions, async (req, res, { session, cookies }) => {
    const path = pathOf(req.url);
    const route = `${req.method} ${path}`;
    switch (route) {
      case "GET /": {
        const current = await session();
        const flashes = current.consumeFlashes().map((flash) => flash.message);
        return sendHtml(res, 200, homePage(current.get("username"), flashes, { everywhere }));
      }
      case "GET /login":
        return sendHtml(res, 200, loginPage());
      case "POST /login": {
        const form = await readForm(req);
        if (form === undefined) return tooLarge(res);
        const username = form.get("username")?.trim() ?? "";
        if (username.length === 0) return sendHtml(res, 400, loginPage("Enter a username."));
        const current = await session();
        // A new id on login, so an id planted in the browser before login is worthless.
        current.regenerate();
        current.set("username", username);
        return redirect(res, "/");
      }
      case "POST /logout": {
        const current = await session();
        current.destroy();
        return redirect(res, "/login");
      }
      case "POST /logout-everywhere": {
        if (!hasUserIndex(store)) {
          return sendJson(res, 404, {
            error: `Logging out everywhere needs a store that indexes sessions by user: SESSION_STORE=redis://HOST:PORT or postgres://USER@HOST:PORT/DATABASE (${store === undefined ? `sessions here travel in the cookie (${format}), and a cookie already issued cannot be recalled` : `this one is ${store.kind}`}).`,
          });
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
        if (form === undefined) return tooLarge(res);
        const value = form.get("value") ?? "";
        cookies.set("user", value, { maxAge: "7d" });
        return redirect(res, "/cookies");
      }
      case "POST /cookies/delete":
        cookies.delete("user");
        return redirect(res, "/cookies");
      default:
        return sendJson(res, 404, { error: `No route for ${route}.` });
    }
  });
  return { sessions, handler };
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

function tooLarge(res: ServerResponse): void {
  res.setHeader("Connection", "close");
  sendJson(res, 413, { error: `Form bodies are limited to ${MAX_FORM_BYTES} bytes.` });
}
