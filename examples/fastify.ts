/**
 * A login app on Fastify 5 with tessera/fastify: `npm run example:fastify`. Sessions live in the
 * embedded SQLite store; any non-empty username logs in. Routes:
 *   POST /login   (form field `username`) → 303 to /
 *   GET  /api/me  → 200 {"username": …} or 401 {"error": …}
 *   POST /logout  → 303 to /
 */
import Fastify from "fastify";
import { createSessions, generateSecret } from "tessera";
import { fastifySessions } from "tessera/fastify";
import { sqliteStore } from "tessera/sqlite";

declare module "tessera/fastify" {
  interface SessionData {
    username: string;
  }
}

const sessions = createSessions({
  secret: process.env.SECRET_KEY ?? generateSecret(), // without SECRET_KEY, logins end on restart
  store: sqliteStore({ path: process.env.SESSIONS_DB ?? "data/fastify-sessions.db" }),
});

const app = Fastify({ logger: { level: "warn" } });
app.addContentTypeParser(
  "application/x-www-form-urlencoded",
  { parseAs: "string" },
  (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(String(body)))),
);
await app.register(fastifySessions(sessions));

app.get("/", async (request, reply) => {
  const username = request.session.get("username");
  reply.type("text/html");
  return username
    ? `<p>Hello, ${escapeHtml(username)}.</p><form method="post" action="/logout"><button>Log out</button></form>`
    : `<form method="post" action="/login"><input name="username" placeholder="username"><button>Log in</button></form>`;
});

app.post("/login", async (request, reply) => {
  const username = String((request.body as { username?: unknown } | null)?.username ?? "").trim();
  if (username === "" || username.length > 64) {
    return reply.code(400).send({ error: "Enter a username (at most 64 characters)." });
  }
  // A new id on login, so an id planted in the browser before login is worthless.
  await request.session.regenerate();
  request.session.set("username", username);
  return reply.redirect("/", 303);
});

app.get("/api/me", async (request, reply) => {
  const username = request.session.get("username");
  if (username === undefined) {
    return reply.code(401).send({ error: "Not logged in: POST /login first." });
  }
  return { username };
});

app.post("/logout", async (request, reply) => {
  await request.session.destroy();
  return reply.redirect("/", 303);
});

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const port = Number(process.env.PORT ?? 3002);
await app.listen({ port, host: "127.0.0.1" });
console.log(`Fastify example on http://127.0.0.1:${port}`);
process.once("SIGTERM", () => void app.close().then(() => sessions.close()));
