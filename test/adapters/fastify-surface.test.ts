/**
 * tessera/fastify beyond the shared suites: @fastify/session's `request.session` methods (as
 * promises and with callbacks), @fastify/cookie registered before, after or not at all, and
 * @fastify/passport's login and logout.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import fastifyCookie from "@fastify/cookie";
import { Authenticator } from "@fastify/passport";
import Fastify, { type FastifyInstance } from "fastify";
import { Strategy as LocalStrategy } from "passport-local";
import { fastifySessions } from "../../src/adapters/fastify/index.ts";
import { createSessions } from "../../src/engine/manager.ts";
import { memoryStore } from "../../src/stores/memory.ts";
import { CookieClient } from "../support/client.ts";
import { CountingStore } from "../support/counting-store.ts";

const SECRET = "fastify-surface-secret-0123456789abcdefgh";

/** A Fastify app that takes the (empty) form bodies the test client posts. */
function formApp(): FastifyInstance {
  const app = Fastify();
  app.addContentTypeParser(
    "application/x-www-form-urlencoded",
    { parseAs: "string" },
    (_request, body, done) => done(null, body),
  );
  return app;
}

async function listen(app: FastifyInstance): Promise<string> {
  await app.listen({ port: 0, host: "127.0.0.1" });
  const address = app.server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  return `http://127.0.0.1:${address.port}`;
}

type AnySession = Record<string, any>;

describe("@fastify/session's request.session through tessera/fastify", () => {
  const store = new CountingStore(memoryStore());
  const app = formApp();
  let url: string;
  before(async () => {
    await app.register(fastifySessions(createSessions({ secret: SECRET, store, lifetime: "1h" })));
    const session = (request: { session: unknown }) => request.session as AnySession;
    app.post("/set", async (request) => {
      for (const [key, value] of Object.entries(request.query as Record<string, string>)) {
        session(request).set(key, value);
      }
      return { id: session(request).sessionId };
    });
    app.post("/property", async (request) => {
      const s = session(request);
      s.views = (s.views ?? 0) + 1;
      s.cart ??= [];
      s.cart.push(s.views);
      return { views: s.views };
    });
    app.get("/read", async (request) => ({
      data: session(request).data(),
      user: session(request).get("user") ?? null,
      keys: Object.keys(session(request)),
      modified: session(request).isModified(),
    }));
    app.post("/unset", async (request) => {
      session(request).set("user", undefined);
      session(request).delete("theme");
      return {};
    });
    app.post("/regenerate", async (request) => {
      const before = session(request).sessionId;
      await session(request).regenerate(["keep"]);
      return { before, after: session(request).sessionId, data: session(request).data() };
    });
    app.post("/regenerate-callback", (request, reply) => {
      session(request).regenerate((error?: unknown) => {
        reply.send({ error: error ?? null, data: session(request).data() });
      });
    });
    app.post("/destroy", async (request) => {
      await session(request).destroy();
      return { session: request.session };
    });
    app.post("/delete-all", async (request) => {
      session(request).delete();
      return {};
    });
    app.post("/save", async (request) => {
      session(request).set("saved", "yes");
      await session(request).save();
      const stored = await store.inner.get(session(request).sessionId);
      return { stored: stored?.data ?? null, saved: session(request).isSaved() };
    });
    app.post("/reload", async (request) => {
      session(request).set("user", "dropped");
      await session(request).reload();
      return { user: session(request).get("user") ?? null };
    });
    app.post("/touch", async (request) => {
      session(request).touch();
      return {};
    });
    app.post("/fail", async (request) => {
      session(request).set("user", "never saved");
      throw Object.assign(new Error("a deliberate client error"), { statusCode: 400 });
    });
    url = await listen(app);
  });
  after(() => app.close());

  test("get, set (undefined removes), delete(key), data(), and the data as properties", async () => {
    const client = new CookieClient(url);
    await client.post("/set?user=ada&theme=dark&keep=1");
    const read = (await client.get("/read")).json();
    assert.equal(read.user, "ada");
    assert.deepEqual(read.data, { user: "ada", theme: "dark", keep: "1" });
    assert.deepEqual(read.keys, ["user", "theme", "keep", "cookie"], "methods are not enumerable");
    assert.equal(read.modified, false);
    await client.post("/unset");
    assert.deepEqual((await client.get("/read")).json().data, { keep: "1" });
    await client.post("/property");
    await client.post("/property");
    const { data } = (await client.get("/read")).json();
    assert.equal(data.views, 2);
    assert.deepEqual(data.cart, [1, 2], "a value changed in place is saved");
  });

  test("regenerate(keep) gives a new id, keeps only the listed keys, and removes the old record", async () => {
    const client = new CookieClient(url);
    const { id } = (await client.post("/set?user=ada&keep=1")).json();
    const body = (await client.post("/regenerate")).json();
    assert.equal(body.before, id);
    assert.notEqual(body.after, id);
    assert.deepEqual(body.data, { keep: "1" });
    assert.equal(await store.inner.get(id), undefined);
    assert.deepEqual((await client.get("/read")).json().data, { keep: "1" });
    const callback = (await client.post("/regenerate-callback")).json();
    assert.deepEqual(callback, { error: null, data: {} });
  });

  test("destroy() ends the session and leaves request.session null; delete() ends it too", async () => {
    const client = new CookieClient(url);
    const { id } = (await client.post("/set?user=ada")).json();
    const response = await client.post("/destroy");
    assert.deepEqual(response.json(), { session: null });
    assert.match(response.setCookies.join("\n"), /session=; .*Max-Age=0/);
    assert.equal(await store.inner.get(id), undefined);
    const other = new CookieClient(url);
    const second = (await other.post("/set?user=bob")).json().id;
    await other.post("/delete-all");
    assert.equal(await store.inner.get(second), undefined);
  });

  test("save() writes before the handler goes on; reload() reads the store again", async () => {
    const client = new CookieClient(url);
    await client.post("/set?user=ada");
    assert.deepEqual((await client.post("/save")).json(), {
      stored: { user: "ada", saved: "yes" },
      saved: true,
    });
    assert.deepEqual((await client.post("/reload")).json(), { user: "ada" });
  });

  test("touch() moves the expiry within touchAfter", async () => {
    const client = new CookieClient(url);
    await client.post("/set?user=ada");
    store.reset();
    await client.post("/touch");
    assert.equal(store.calls.touch, 1);
  });

  test("a handler that throws saves nothing, even with a 4xx error reply", async () => {
    const client = new CookieClient(url);
    await client.post("/set?user=ada");
    const response = await client.post("/fail");
    assert.equal(response.status, 400);
    assert.equal((await client.get("/read")).json().user, "ada");
  });
});

describe("tessera/fastify with @fastify/cookie registered before, after or not at all", () => {
  for (const order of ["none", "before", "after"] as const) {
    test(`@fastify/cookie ${order}: both plugins' cookies arrive, and each reads its own`, async () => {
      const app = formApp();
      const sessions = fastifySessions(createSessions({ secret: SECRET, store: memoryStore() }));
      if (order === "before") await app.register(fastifyCookie);
      await app.register(sessions);
      if (order === "after") await app.register(fastifyCookie);
      app.post("/both", async (request, reply) => {
        request.session.set("user", "ada");
        request.tessera.cookies.set("theme", "dark");
        if (order !== "none") reply.setCookie("consent", "yes", { path: "/" });
        return {};
      });
      app.get("/both", async (request) => ({
        user: request.session.get("user") ?? null,
        theme: request.tessera.cookies.get("theme") ?? null,
        consent: order === "none" ? "yes" : (request.cookies.consent ?? null),
      }));
      const base = await listen(app);
      try {
        const client = new CookieClient(base);
        const set = await client.post("/both");
        const names = set.setCookies.map((header) => header.split("=")[0]).sort();
        assert.deepEqual(
          names,
          order === "none" ? ["session", "theme"] : ["consent", "session", "theme"],
        );
        assert.deepEqual((await client.get("/both")).json(), {
          user: "ada",
          theme: "dark",
          consent: "yes",
        });
      } finally {
        await app.close();
      }
    });
  }
});

describe("@fastify/passport over tessera/fastify", () => {
  const store = memoryStore();
  const app = formApp();
  let url: string;
  before(async () => {
    const passport = new Authenticator();
    passport.use(
      "local",
      new LocalStrategy((username, password, done) =>
        password === "secret" ? done(null, { username }) : done(null, false),
      ),
    );
    passport.registerUserSerializer(async (user: { username: string }) => user.username);
    passport.registerUserDeserializer(async (username: string) => ({ username }));
    await app.register(fastifySessions(createSessions({ secret: SECRET, store })));
    await app.register(passport.initialize());
    await app.register(passport.secureSession());
    app.post(
      "/login",
      { preValidation: passport.authenticate("local", { authInfo: false }) },
      async (request) => ({ user: (request.user as { username: string }).username }),
    );
    app.get("/me", async (request) => ({
      authenticated: request.isAuthenticated(),
      user: (request.user as { username: string } | undefined)?.username ?? null,
      id: request.session.sessionId,
    }));
    app.post("/logout", async (request) => {
      await request.logOut();
      return { authenticated: request.isAuthenticated() };
    });
    url = await listen(app);
  });
  after(() => app.close());

  const login = (client: CookieClient, password = "secret") =>
    client.post("/login", JSON.stringify({ username: "ada", password }), {
      "content-type": "application/json",
    });

  test("login regenerates the id and the user stays logged in across requests", async () => {
    const client = new CookieClient(url);
    const anonymous = (await client.get("/me")).json();
    assert.equal(anonymous.authenticated, false);
    const response = await login(client);
    assert.equal(response.status, 200);
    const me = (await client.get("/me")).json();
    assert.deepEqual([me.authenticated, me.user], [true, "ada"]);
    assert.notEqual(me.id, anonymous.id);
    assert.deepEqual((await client.get("/me")).json().user, "ada");
  });

  test("a wrong password is refused and logs nobody in", async () => {
    const client = new CookieClient(url);
    assert.equal((await login(client, "wrong")).status, 401);
    assert.equal((await client.get("/me")).json().authenticated, false);
  });

  test("logout ends the login, and the logged-in cookie no longer authenticates", async () => {
    const client = new CookieClient(url);
    await login(client);
    const loggedIn = `session=${client.jar.get("session")}`;
    const { id } = (await client.get("/me")).json();
    assert.deepEqual((await client.post("/logout")).json(), { authenticated: false });
    assert.equal((await client.get("/me")).json().authenticated, false);
    assert.equal((await client.get("/me", { cookie: loggedIn })).json().authenticated, false);
    assert.equal(await store.get(id), undefined, "the logged-in record is gone");
  });
});
