/**
 * One Express login app, run first on the old session library and then, unchanged, on tessera:
 * only the session middleware given differs. Passport keeps the login (`req.session.passport
 * .user`), and the session holds a cart besides.
 *
 *   POST /login   username, cart (JSON) → 200; Passport regenerates the session on login
 *   GET  /me      → 200 { username, cart } or 401
 *   POST /logout  → 200
 */
import express, { type RequestHandler } from "express";
import { Passport, Strategy } from "passport";

interface User {
  readonly username: string;
}

class UsernameStrategy extends Strategy {
  override name = "username";
  override authenticate(req: express.Request): void {
    const username = String(req.body?.username ?? "");
    if (username === "") this.fail({ message: "no username" }, 400);
    else this.success({ username } satisfies User);
  }
}

export function expressLoginApp(sessionMiddleware: RequestHandler): express.Express {
  const passport = new Passport();
  passport.use(new UsernameStrategy());
  passport.serializeUser((user, done) => done(null, (user as User).username));
  passport.deserializeUser((username: string, done) => done(null, { username }));

  const app = express();
  app.use(express.urlencoded({ extended: false }));
  app.use(sessionMiddleware);
  app.use(passport.session());
  app.post("/login", passport.authenticate("username"), (req, res) => {
    (req.session as unknown as Record<string, unknown>).cart = JSON.parse(String(req.body.cart));
    res.json({ ok: true });
  });
  app.get("/me", (req, res) => {
    const user = req.user as User | undefined;
    if (user === undefined) res.status(401).json({ error: "not logged in" });
    else
      res.json({
        username: user.username,
        cart: (req.session as unknown as Record<string, unknown>).cart,
      });
  });
  app.post("/logout", (req, res, next) => {
    req.logout((error) => (error ? next(error) : res.json({ ok: true })));
  });
  return app;
}
