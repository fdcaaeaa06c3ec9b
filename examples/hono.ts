/**
 * A login app on Hono with tessera/hono, served on Node by @hono/node-server:
 * `npm run example:hono`. The same app runs on Bun, Deno and Cloudflare Workers with their own
 * server (on Workers with a cookie format: the embedded SQLite store needs a file system).
 * Sessions live in the embedded SQLite store; any non-empty username logs in. Routes:
 *   POST /login   (form field `username`) → 303 to /
 *   GET  /api/me  → 200 {"username": …} or 401 {"error": …}
 *   POST /logout  → 303 to /
 */
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { html } from "hono/html";
import { createSessions, generateSecret } from "tessera";
import { honoSessions, type SessionEnv } from "tessera/hono";
import { sqliteStore } from "tessera/sqlite";

interface LoginSession {
  username: string;
}

const sessions = createSessions<LoginSession>({
  secret: process.env.SECRET_KEY ?? generateSecret(), // without SECRET_KEY, logins end on restart
  store: sqliteStore({ path: process.env.SESSIONS_DB ?? "data/hono-sessions.db" }),
});

const app = new Hono<SessionEnv<LoginSession>>();
app.use(honoSessions(sessions));

app.get("/", (c) => {
  const username = c.var.session.get("username");
  return c.html(
    username
      ? html`<p>Hello, ${username}.</p><form method="post" action="/logout"><button>Log out</button></form>`
      : html`<form method="post" action="/login"><input name="username" placeholder="username"><button>Log in</button></form>`,
  );
});

app.post("/login", async (c) => {
  const form = await c.req.parseBody();
  const username = String(form.username ?? "").trim();
  if (username === "" || username.length > 64) {
    return c.json({ error: "Enter a username (at most 64 characters)." }, 400);
  }
  const session = c.var.session;
  session.regenerate(); // a new id on login: no session fixation
  session.set("username", username);
  return c.redirect("/", 303);
});

app.get("/api/me", (c) => {
  const username = c.var.session.get("username");
  return username === undefined
    ? c.json({ error: "Not logged in: POST /login first." }, 401)
    : c.json({ username });
});

app.post("/logout", (c) => {
  c.var.session.destroy();
  return c.redirect("/", 303);
});

const port = Number(process.env.PORT ?? 3003);
const server = serve({ fetch: app.fetch, port, hostname: "127.0.0.1" }, () => {
  console.log(`Hono example on http://127.0.0.1:${port}`);
});
process.once("SIGTERM", () => server.close(() => void sessions.close()));
