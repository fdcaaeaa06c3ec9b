/**
 * Passport 0.7 (passport-local) over tessera/express, and the switch from express-session:
 * the same app, with only its session middleware line changed, answers every request the same.
 */
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { after, before, describe, test } from "node:test";
import express5, { type RequestHandler } from "express";
import express4 from "express-4";
import expressSession from "express-session";
import { expressSessions } from "../../src/adapters/express/index.ts";
import { createSessions } from "../../src/engine/manager.ts";
import { memoryStore } from "../../src/stores/memory.ts";
import { listenNode } from "../runtimes/listen.ts";
import { type ClientResponse, CookieClient } from "../support/client.ts";
import { loginApp } from "./express-login-app.ts";

const SECRET = "express-passport-secret-0123456789abcdef";
const EXPRESSES = [
  ["Express 5", express5],
  ["Express 4", express4 as unknown as typeof express5],
] as const;

async function serve(express: typeof express5, middleware: RequestHandler) {
  return listenNode(createServer(loginApp(express, middleware)));
}

function tesseraMiddleware(store = memoryStore()) {
  return expressSessions(
    createSessions({ secret: SECRET, store, permanent: false }),
  ) as unknown as RequestHandler;
}

const login = (client: CookieClient, password = "secret") =>
  client.post("/login", `username=ada&password=${password}`);

for (const [name, express] of EXPRESSES) {
  describe(`Passport over tessera/express (${name})`, () => {
    const store = memoryStore();
    let server: Awaited<ReturnType<typeof serve>>;
    before(async () => {
      server = await serve(express, tesseraMiddleware(store));
    });
    after(() => server.close());

    test("login regenerates the session id and keeps what keepSessionInfo keeps", async () => {
      const client = new CookieClient(server.url);
      // Visiting a private page first leaves returnTo in the (new) session.
      assert.equal((await client.get("/private")).status, 303);
      const before = (await client.get("/whoami")).json().id as string;
      assert.ok(await store.get(before), "the anonymous session was stored");
      const response = await login(client);
      assert.equal(response.status, 303);
      assert.equal(response.headers.get("location"), "/private", "returnTo survived login");
      const after = (await client.get("/whoami")).json();
      assert.notEqual(after.id, before, "a new id at login: no session fixation");
      assert.equal(await store.get(before), undefined, "the pre-login record is gone");
      assert.deepEqual((await client.get("/private")).json(), { secret: "for ada" });
    });

    test("req.isAuthenticated() holds across requests, and flash messages arrive once", async () => {
      const client = new CookieClient(server.url);
      await login(client);
      const home = (await client.get("/")).json();
      assert.equal(home.authenticated, true);
      assert.equal(home.user, "ada");
      assert.deepEqual(home.messages, ["Welcome, ada."]);
      for (let i = 0; i < 3; i++) {
        const again = (await client.get("/")).json();
        assert.equal(again.authenticated, true);
        assert.deepEqual(again.messages, []);
      }
    });

    test("a wrong password flashes an error and logs nobody in", async () => {
      const client = new CookieClient(server.url);
      assert.equal((await login(client, "nope")).status, 303);
      assert.deepEqual((await client.get("/login")).json().errors, ["Wrong password."]);
      assert.equal((await client.get("/whoami")).json().authenticated, false);
    });

    test("logout ends the login: the old cookie no longer authenticates", async () => {
      const client = new CookieClient(server.url);
      await login(client);
      const loggedIn = [...client.jar].map(([key, value]) => `${key}=${value}`).join("; ");
      const loggedInId = (await client.get("/whoami")).json().id as string;
      const response = await client.post("/logout");
      assert.equal(response.status, 303);
      const home = (await client.get("/")).json();
      assert.equal(home.authenticated, false);
      assert.deepEqual(home.messages, ["Logged out."]);
      const replayed = await client.get("/whoami", { cookie: loggedIn });
      assert.equal(replayed.json().authenticated, false, "the logged-in cookie is dead");
      assert.equal(await store.get(loggedInId), undefined, "its record is gone");
    });
  });

  describe(`switching an express-session app to tessera/express changes no answer (${name})`, () => {
    /** One browser's walk through the app: view counter, failed and good login, flash, logout. */
    async function walk(url: string): Promise<string[]> {
      const client = new CookieClient(url);
      const steps: Array<() => Promise<ClientResponse>> = [
        () => client.get("/"),
        () => client.get("/"),
        () => client.get("/private"),
        () => client.get("/login"),
        () => login(client, "wrong"),
        () => client.get("/login"),
        () => client.get("/login"),
        () => login(client),
        () => client.get("/private"),
        () => client.get("/"),
        () => client.get("/"),
        () => client.post("/logout"),
        () => client.get("/"),
        () => client.get("/private"),
        () => client.get("/"),
      ];
      const answers: string[] = [];
      for (const step of steps) {
        const response = await step();
        answers.push(
          `${response.status} ${response.headers.get("location") ?? ""} ${response.text}`,
        );
      }
      return answers;
    }

    test("every request answers the same as with express-session", async () => {
      const withExpressSession = await serve(
        express,
        expressSession({
          secret: SECRET,
          resave: false,
          saveUninitialized: false,
        }) as unknown as RequestHandler,
      );
      const withTessera = await serve(express, tesseraMiddleware());
      try {
        const expected = await walk(withExpressSession.url);
        const actual = await walk(withTessera.url);
        assert.deepEqual(actual, expected);
        // The walk does what it says: a login, a flash, a logout.
        assert.match(expected.join("\n"), /Welcome, ada\./);
        assert.match(expected.join("\n"), /Logged out\./);
        assert.match(expected.join("\n"), /"views":4/);
      } finally {
        await withExpressSession.close();
        await withTessera.close();
      }
    });
  });
}
