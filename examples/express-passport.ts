/**
 * A login app on Express 5 with Passport and tessera/express: `npm run example:express`.
 * Sessions live in the embedded SQLite store; any non-empty username logs in (there are no
 * passwords in this example). Routes:
 *   POST /login   (form field `username`) → 303 to /
 *   GET  /api/me  → 200 {"username": …} or 401 {"error": …}
 *   POST /logout  → 303 to /
 */
import express from "express";
import passport from "passport";
import { createSessions, generateSecret } from "tessera";
import { expressSessions } from "tessera/express";
import { sqliteStore } from "tessera/sqlite";

interface User {
  readonly username: string;
}

/** Passport strategy that trusts the username (a demo has no password database). */
class UsernameStrategy extends passport.Strategy {
  override name = "username";
  override authenticate(req: express.Request): void {
    const username = String(req.body?.username ?? "").trim();
    if (username === "" || username.length > 64) this.fail({ message: "Enter a username." }, 400);
    else this.success({ username } satisfies User);
  }
}

passport.use(new UsernameStrategy());
passport.serializeUser((user, done) => done(null, (user as User).username));
passport.deserializeUser((username: string, done) => done(null, { username }));

const sessions = createSessions({
  secret: process.env.SECRET_KEY ?? generateSecret(), // without SECRET_KEY, logins end on restart
  store: sqliteStore({ path: process.env.SESSIONS_DB ?? "data/express-sessions.db" }),
});

const app = express();
app.use(express.urlencoded({ extended: false }));
app.use(expressSessions(sessions)); // req.session, as express-session's
app.use(passport.session());

app.get("/", (req, res) => {
  const user = req.user as User | undefined;
  res
    .type("html")
    .send(
      user
        ? `<p>Hello, ${escapeHtml(user.username)}.</p><form method="post" action="/logout"><button>Log out</button></form>`
        : `<form method="post" action="/login"><input name="username" placeholder="username"><button>Log in</button></form>`,
    );
});

app.post("/login", (req, res, next) => {
  passport.authenticate("username", (error: unknown, user: User | false) => {
    if (error) return next(error);
    if (!user) return res.status(400).json({ error: "Enter a username (at most 64 characters)." });
    // Passport regenerates the session id on login: no session fixation.
    req.logIn(user, (loginError) => (loginError ? next(loginError) : res.redirect(303, "/")));
  })(req, res, next);
});

app.get("/api/me", (req, res) => {
  const user = req.user as User | undefined;
  if (user === undefined) res.status(401).json({ error: "Not logged in: POST /login first." });
  else res.json({ username: user.username });
});

app.post("/logout", (req, res, next) => {
  req.logout((error) => (error ? next(error) : res.redirect(303, "/")));
});

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const port = Number(process.env.PORT ?? 3001);
const server = app.listen(port, "127.0.0.1", () => {
  console.log(`Express + Passport example on http://127.0.0.1:${port}`);
});
process.once("SIGTERM", () => server.close(() => void sessions.close()));
