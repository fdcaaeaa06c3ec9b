/**
 * express-session's `req.session`, as tessera/express gives it, in Express 5 and Express 4:
 * property reads and writes, changes made in place, its methods and what they do to the store,
 * and what is (not) enumerable.
 */
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { after, before, describe, test } from "node:test";
import express5, { type Express, type Request, type Response } from "express";
import express4 from "express-4";
import { expressSessions } from "../../src/adapters/express/index.ts";
import { createSessions } from "../../src/engine/manager.ts";
import { memoryStore } from "../../src/stores/memory.ts";
import { listenNode } from "../runtimes/listen.ts";
import { CookieClient } from "../support/client.ts";
import { CountingStore, withLatency } from "../support/counting-store.ts";

const SECRET = "express-surface-secret-0123456789abcdefgh";

type Route = (req: Request, res: Response) => void | Promise<void>;
type AnySession = Record<string, any> & {
  id: string;
  cookie: any;
  regenerate(cb: (error?: unknown) => void): unknown;
  destroy(cb: (error?: unknown) => void): unknown;
  reload(cb: (error?: unknown) => void): unknown;
  save(cb: (error?: unknown) => void): unknown;
  touch(): unknown;
};
const sessionOf = (req: Request) => (req as unknown as { session: AnySession }).session;

const ROUTES: Record<string, Route> = {
  "/views": (req, res) => {
    const session = sessionOf(req);
    session.views = (session.views ?? 0) + 1;
    res.json({ views: session.views });
  },
  "/read": (req, res) => {
    res.json({ data: { ...sessionOf(req) }, id: req.sessionID });
  },
  "/keys": (req, res) => {
    const session = sessionOf(req);
    session.user = "ada";
    const inherited: string[] = [];
    for (const key in session) inherited.push(key);
    res.json({
      keys: Object.keys(session),
      forIn: inherited,
      json: JSON.parse(JSON.stringify(session)),
      idMatches: session.id === req.sessionID,
      idEnumerable: Object.keys(session).includes("id"),
      hasSave: typeof session.save === "function",
    });
  },
  "/nested": (req, res) => {
    const session = sessionOf(req);
    session.passport ??= {};
    session.passport.user = String(req.query.user);
    res.json({ ok: true });
  },
  "/push": (req, res) => {
    const session = sessionOf(req);
    session.cart ??= [];
    session.cart.push(String(req.query.item));
    res.json({ cart: session.cart });
  },
  "/delete-nested": (req, res) => {
    delete sessionOf(req).passport.user;
    res.json({ ok: true });
  },
  "/delete": (req, res) => {
    delete sessionOf(req).user;
    res.json({ ok: true });
  },
  "/set": (req, res) => {
    const session = sessionOf(req);
    for (const [key, value] of Object.entries(req.query)) session[key] = value;
    res.json({ id: req.sessionID });
  },
  "/regenerate": (req, res) => {
    const before = sessionOf(req);
    const oldId = req.sessionID;
    before.regenerate((error) => {
      if (error) throw error;
      const after = sessionOf(req);
      after.fresh = "yes";
      res.json({
        oldId,
        newId: req.sessionID,
        replaced: after !== before,
        oldStillReads: before.user ?? null,
        newData: { ...after },
      });
    });
  },
  "/save-now": (req, res) => {
    sessionOf(req).saved = "now";
    sessionOf(req).save((error) => {
      if (error) throw error;
      // The write is in the store before the response is even begun.
      void store.get(req.sessionID).then((record) => res.json({ stored: record?.data ?? null }));
    });
  },
  "/destroy": (req, res) => {
    sessionOf(req).destroy((error) => {
      if (error) throw error;
      res.json({ sessionAfter: typeof sessionOf(req) });
    });
  },
  "/reload": (req, res) => {
    sessionOf(req).user = "changed, then dropped by reload";
    sessionOf(req).reload((error) => {
      res.json({ error: error ? String(error) : null, user: sessionOf(req)?.user ?? null });
    });
  },
  "/touch": (req, res) => {
    sessionOf(req).touch();
    res.json({ ok: true });
  },
  "/cookie": (req, res) => {
    const cookie = sessionOf(req).cookie;
    if (req.query.browser === "1") cookie.maxAge = null;
    if (req.query.maxAge !== undefined) cookie.maxAge = Number(req.query.maxAge);
    res.json({
      maxAge: cookie.maxAge,
      originalMaxAge: cookie.originalMaxAge,
      httpOnly: cookie.httpOnly,
      path: cookie.path,
      expires: cookie.expires,
    });
  },
  "/null": (req, res) => {
    (req as unknown as { session: unknown }).session = null;
    res.json({ ok: true });
  },
  "/typed": (req, res) => {
    // tessera's typed API and req.session are one session.
    req.tessera.session.set("typed" as never, "yes" as never);
    res.json({ seenThroughReqSession: sessionOf(req).typed });
  },
};

const store = new CountingStore(withLatency(memoryStore(), { minMs: 0, maxMs: 3 }));

function build(express: typeof express5): Express {
  const app = express();
  app.use(expressSessions(createSessions({ secret: SECRET, store, lifetime: "1h" })));
  for (const [path, route] of Object.entries(ROUTES)) {
    app.post(path, (req, res, next) => {
      Promise.resolve(route(req, res)).catch(next);
    });
  }
  return app;
}

for (const [name, express] of [
  ["Express 5", express5],
  ["Express 4", express4 as unknown as typeof express5],
] as const) {
  describe(`express-session's req.session through tessera/express (${name})`, () => {
    let url: string;
    let close: () => Promise<void>;
    before(async () => {
      ({ url, close } = await listenNode(createServer(build(express))));
    });
    after(() => close());
    const browser = () => new CookieClient(url);

    test("property reads and writes: a view counter", async () => {
      const client = browser();
      for (let views = 1; views <= 3; views++) {
        assert.deepEqual((await client.post("/views")).json(), { views });
      }
    });

    test("methods and id are not enumerable; the data and cookie are, as in express-session", async () => {
      const body = (await browser().post("/keys")).json();
      assert.deepEqual(body.keys, ["user", "cookie"]);
      assert.deepEqual(body.forIn, ["user", "cookie"], "for…in sees no method");
      assert.equal(body.json.user, "ada");
      assert.equal(body.json.cookie.originalMaxAge, 3_600_000);
      assert.equal(body.idMatches, true);
      assert.equal(body.idEnumerable, false);
      assert.equal(body.hasSave, true);
    });

    test("a nested value changed in place is saved (req.session.passport.user = id)", async () => {
      const client = browser();
      await client.post("/nested?user=42");
      assert.deepEqual((await client.post("/read")).json().data.passport, { user: "42" });
      await client.post("/nested?user=43");
      assert.deepEqual((await client.post("/read")).json().data.passport, { user: "43" });
      await client.post("/delete-nested");
      assert.deepEqual((await client.post("/read")).json().data.passport, {});
      await client.post("/push?item=apple");
      await client.post("/push?item=pear");
      assert.deepEqual((await client.post("/read")).json().data.cart, ["apple", "pear"]);
    });

    test("a read that changes nothing writes nothing", async () => {
      const client = browser();
      await client.post("/set?user=ada");
      store.reset();
      await client.post("/read");
      assert.equal(store.writes, 0);
    });

    test("delete removes a key", async () => {
      const client = browser();
      await client.post("/set?user=ada&theme=dark");
      await client.post("/delete");
      const { data } = (await client.post("/read")).json();
      assert.equal(data.user, undefined);
      assert.equal(data.theme, "dark");
    });

    test("regenerate(cb): a new id, a new empty req.session, the old record gone; the old object keeps its data", async () => {
      const client = browser();
      const { id } = (await client.post("/set?user=ada")).json();
      const body = (await client.post("/regenerate")).json();
      assert.equal(body.oldId, id);
      assert.notEqual(body.newId, id);
      assert.equal(body.replaced, true);
      assert.equal(body.oldStillReads, "ada", "Passport's keepSessionInfo copies from it");
      assert.deepEqual(
        Object.keys(body.newData).filter((key) => key !== "cookie"),
        ["fresh"],
        "the new session starts empty",
      );
      assert.equal(await store.inner.get(id), undefined, "the old record is gone");
      const read = (await client.post("/read")).json();
      assert.equal(read.id, body.newId);
      assert.equal(read.data.fresh, "yes");
      assert.equal(read.data.user, undefined);
    });

    test("save(cb) stores the session before the callback runs", async () => {
      const body = (await browser().post("/save-now")).json();
      assert.equal(body.stored.saved, "now");
    });

    test("destroy(cb): the record and cookie go, and req.session is undefined after", async () => {
      const client = browser();
      const { id } = (await client.post("/set?user=ada")).json();
      const response = await client.post("/destroy");
      assert.deepEqual(response.json(), { sessionAfter: "undefined" });
      assert.match(response.setCookies.join("\n"), /session=; .*Max-Age=0/);
      assert.equal(await store.inner.get(id), undefined);
    });

    test("req.session = null ends the session, as cookie-session users write it", async () => {
      const client = browser();
      const { id } = (await client.post("/set?user=ada")).json();
      await client.post("/null");
      assert.equal(await store.inner.get(id), undefined);
    });

    test("reload(cb) drops the request's changes and reads the store; an unsaved session is an error", async () => {
      const client = browser();
      await client.post("/set?user=ada");
      assert.deepEqual((await client.post("/reload")).json(), { error: null, user: "ada" });
      const fresh = (await browser().post("/reload")).json();
      assert.match(fresh.error, /failed to load session/);
    });

    test("touch() moves the expiry even within touchAfter", async () => {
      const client = browser();
      await client.post("/set?user=ada");
      store.reset();
      const response = await client.post("/touch");
      assert.equal(store.calls.touch, 1);
      assert.match(response.setCookies.join("\n"), /Max-Age=3600/);
    });

    test("req.session.cookie tells the cookie's settings; maxAge = null makes a browser-session cookie", async () => {
      const client = browser();
      await client.post("/set?user=ada");
      const cookie = (await client.post("/cookie")).json();
      assert.equal(cookie.originalMaxAge, 3_600_000);
      assert.ok(cookie.maxAge > 3_500_000 && cookie.maxAge <= 3_600_000);
      assert.equal(cookie.httpOnly, true);
      assert.equal(cookie.path, "/");
      const browserSession = await client.post("/cookie?browser=1");
      assert.equal(browserSession.json().maxAge, null);
      assert.doesNotMatch(browserSession.setCookies.join("\n"), /Max-Age/);
    });

    test("a cookie maxAge other than the lifetime is a clear error, not silently ignored", async () => {
      const client = browser();
      await client.post("/set?user=ada");
      const original = console.error;
      const logged: unknown[] = [];
      console.error = (...args: unknown[]) => logged.push(...args);
      try {
        const response = await client.post("/cookie?maxAge=60000");
        assert.equal(response.status, 500);
      } finally {
        console.error = original;
      }
    });

    test("req.tessera.session and req.session are one session", async () => {
      assert.deepEqual((await browser().post("/typed")).json(), { seenThroughReqSession: "yes" });
    });

    test("50 concurrent requests setting different properties keep all 50", async () => {
      const client = browser();
      await client.post("/set?start=1");
      await Promise.all(
        Array.from({ length: 50 }, (_, index) => client.post(`/set?key${index}=${index}`)),
      );
      const { data } = (await client.post("/read")).json();
      for (let index = 0; index < 50; index++) assert.equal(data[`key${index}`], String(index));
    });
  });
}
