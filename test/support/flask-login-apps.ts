/**
 * The tessera side of the one-login tests (a Flask app with Flask-Session and a tessera app
 * sharing a store): a small tessera app on node:http, and a request helper for either app that
 * sends and reads the `session` cookie.
 */
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { withSessions } from "../../src/adapters/node.ts";
import type { SessionManager } from "../../src/engine/manager.ts";
import type { SessionValue } from "../../src/session/session.ts";

export interface TesseraApp {
  readonly url: string;
  readonly sessions: SessionManager<Record<string, SessionValue>>;
  /** Stops the server and closes the sessions (and so the store). */
  close(): Promise<void>;
}

/**
 * Serves `sessions` on a free loopback port: GET /me shows the session, POST /set?k=v sets
 * keys, POST /logout destroys it, POST /regenerate gives it a new id; each answers
 * `{ id, permanent, data }`.
 */
export async function startTesseraApp(
  sessions: SessionManager<Record<string, SessionValue>>,
): Promise<TesseraApp> {
  const server: Server = createServer(
    withSessions(sessions, async (req, res, { session }) => {
      const url = new URL(req.url ?? "/", "http://localhost");
      const current = await session();
      if (req.method === "POST" && url.pathname === "/set") {
        for (const [key, value] of url.searchParams) current.set(key, value);
      } else if (req.method === "POST" && url.pathname === "/logout") {
        current.destroy();
      } else if (req.method === "POST" && url.pathname === "/regenerate") {
        current.regenerate();
      }
      res.setHeader("content-type", "application/json");
      res.end(
        JSON.stringify({ id: current.id, permanent: current.permanent, data: current.toJSON() }),
      );
    }),
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    sessions,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await sessions.close();
    },
  };
}

export interface Answer {
  readonly status: number;
  /** tessera answers `id`, Flask `sid`. */
  readonly body: { id?: string; sid?: string; permanent: boolean; data: unknown };
  /** The session cookie's value, when the response set one (empty for a deletion). */
  readonly cookie: string | undefined;
  readonly setCookie: string | undefined;
}

/**
 * A request to either app with the session cookie `cookie`, and a JSON `body` (then POST is
 * the usual method). Fails the test unless the app answers 200.
 */
export async function send(
  url: string,
  method: string,
  cookie?: string,
  body?: unknown,
): Promise<Answer> {
  const response = await fetch(url, {
    method,
    headers: cookie === undefined ? {} : { cookie: `session=${cookie}` },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  assert.equal(response.status, 200, `${method} ${url}: ${text}`);
  const setCookie = response.headers.getSetCookie().find((line) => line.startsWith("session="));
  return {
    status: response.status,
    body: JSON.parse(text) as Answer["body"],
    cookie: setCookie?.slice("session=".length).split(";")[0],
    setCookie,
  };
}
