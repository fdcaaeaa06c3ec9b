/**
 * An Express app written for express-session, as many are: a view counter, and a login with
 * Passport (passport-local) and connect-flash. Only the session middleware is a parameter, so
 * the same app runs on express-session and on tessera/express.
 */
import flash from "connect-flash";
import type express5 from "express";
import type { Request, RequestHandler } from "express";
import { Passport } from "passport";
import { Strategy as LocalStrategy } from "passport-local";

interface LoginUser {
  readonly username: string;
}

type SessionLike = Record<string, any> & { views?: number; returnTo?: string };
const sessionOf = (req: Request) => (req as unknown as { session: SessionLike }).session;

export function loginApp(express: typeof express5, sessionMiddleware: RequestHandler) {
  const passport = new Passport();
  passport.use(
    new LocalStrategy((username, password, done) => {
      if (password !== "secret") return done(null, false, { message: "Wrong password." });
      return done(null, { username });
    }),
  );
  passport.serializeUser((user, done) => done(null, (user as LoginUser).username));
  passport.deserializeUser((username: string, done) => done(null, { username }));

  const app = express();
  app.use(express.urlencoded({ extended: false }));
  app.use(sessionMiddleware); // the one line a switch changes
  app.use(passport.session());
  app.use(flash());

  app.get("/", (req, res) => {
    const session = sessionOf(req);
    session.views = (session.views ?? 0) + 1;
    res.json({
      views: session.views,
      user: (req.user as LoginUser | undefined)?.username ?? null,
      authenticated: req.isAuthenticated(),
      messages: req.flash("info"),
    });
  });
  app.get("/private", (req, res) => {
    if (!req.isAuthenticated()) {
      sessionOf(req).returnTo = "/private";
      res.redirect(303, "/login");
      return;
    }
    res.json({ secret: `for ${(req.user as LoginUser).username}` });
  });
  app.get("/login", (req, res) => {
    res.json({ errors: req.flash("error"), returnTo: sessionOf(req).returnTo ?? null });
  });
  app.post("/login", (req, res, next) => {
    passport.authenticate("local", (error: unknown, user: LoginUser | false, info?: any) => {
      if (error) return next(error);
      if (!user) {
        req.flash("error", info?.message ?? "Login failed.");
        return res.redirect(303, "/login");
      }
      // keepSessionInfo: what the session held before login (returnTo) survives regenerate.
      req.logIn(user, { session: true, keepSessionInfo: true }, (loginError) => {
        if (loginError) return next(loginError);
        const returnTo = sessionOf(req).returnTo ?? "/";
        delete sessionOf(req).returnTo;
        req.flash("info", `Welcome, ${user.username}.`);
        res.redirect(303, returnTo);
      });
    })(req, res, next);
  });
  app.get("/whoami", (req, res) => {
    res.json({
      id: req.sessionID ?? null,
      authenticated: req.isAuthenticated(),
      user: (req.user as LoginUser | undefined)?.username ?? null,
    });
  });
  app.post("/logout", (req, res, next) => {
    req.logout((error) => {
      if (error) return next(error);
      req.flash("info", "Logged out.");
      res.redirect(303, "/");
    });
  });
  return app;
}
