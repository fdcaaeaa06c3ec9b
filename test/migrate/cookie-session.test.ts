/**
 * The cookie-session legacy source against the real cookie-session (2.x) in a real Express app:
 * the app writes the cookies, CookieClient keeps them as a browser would, and the source reads
 * them through tessera's own Cookie header parser. What cookie-session itself reads back
 * (`/whoami`) is the oracle for the data; its rejections are checked against the source's.
 */
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import cookieSessionMiddleware from "cookie-session";
import express, { type RequestHandler } from "express";
import fc from "fast-check";
import { parseAllValues } from "../../src/cookies/parse.ts";
import { ConfigError } from "../../src/errors.ts";
import {
  type CookieSessionSourceOptions,
  cookieSession,
} from "../../src/migrate/cookie-session.ts";
import type { LegacyCookieReader } from "../../src/migrate/source.ts";
import { CookieClient } from "../support/client.ts";

const OLD = "the key cookie-session signed with first";
const NEW = "the key it was rotated to";
const SECRET = "a single cookie-session secret";
const MAX_AGE = 2 * 60 * 60 * 1000;

/**
 * cookie-session's req.session. Its types and express-session's both declare Request.session,
 * and in this project express-session's win, so the object is reached through `unknown`.
 */
function sessionOf(req: express.Request): Record<string, unknown> {
  return (req as unknown as { session: Record<string, unknown> }).session;
}

/** One cookie-session configuration per mount point, all on path "/" as cookie-session sets. */
function sessionRoutes(middleware: RequestHandler): express.Router {
  const router = express.Router();
  router.use(middleware);
  router.post("/login", (req, res) => {
    const session = sessionOf(req);
    session.user = req.body.user;
    session.cart = req.body.cart;
    res.json(session);
  });
  router.get("/whoami", (req, res) => {
    res.json(sessionOf(req));
  });
  router.post("/touch", (req, res) => {
    const session = sessionOf(req);
    session.visits = Number(session.visits ?? 0) + 1;
    res.json(session);
  });
  router.post("/empty", (req, res) => {
    const session = sessionOf(req);
    for (const key of Object.keys(session)) delete session[key];
    res.json(session);
  });
  router.post("/logout", (req, res) => {
    (req as unknown as { session: null }).session = null;
    res.end();
  });
  return router;
}

let server: Server;
let base: string;
before(async () => {
  const app = express();
  app.use(express.json());
  app.use("/old", sessionRoutes(cookieSessionMiddleware({ keys: [OLD] })));
  app.use("/rotated", sessionRoutes(cookieSessionMiddleware({ keys: [NEW, OLD] })));
  app.use("/secret", sessionRoutes(cookieSessionMiddleware({ secret: SECRET })));
  app.use(
    "/named",
    sessionRoutes(cookieSessionMiddleware({ name: "legacy", keys: [OLD], maxAge: MAX_AGE })),
  );
  server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** The client's cookies as the engine's reader would give them (tessera's header parser). */
function readerOf(client: CookieClient): LegacyCookieReader {
  return readerFor([...client.jar].map(([name, value]) => `${name}=${value}`).join("; "));
}

function readerFor(header: string): LegacyCookieReader {
  return { getAll: (name) => parseAllValues(header, name) };
}

/** keygrip's signature, written out (checked against cookie-session's own below). */
function sign(text: string, key: string): string {
  return createHmac("sha1", key)
    .update(text)
    .digest("base64")
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=/g, "");
}

function encode(json: string): string {
  return Buffer.from(json).toString("base64");
}

async function loggedIn(mount: string, body: unknown = DATA): Promise<CookieClient> {
  const client = new CookieClient(base);
  const response = await client.post(`${mount}/login`, JSON.stringify(body), {
    "content-type": "application/json",
  });
  assert.equal(response.status, 200);
  return client;
}

async function whoami(client: CookieClient, mount: string): Promise<unknown> {
  return (await client.get(`${mount}/whoami`)).json();
}

function findIn(client: CookieClient, options: CookieSessionSourceOptions) {
  return cookieSession(options).find(readerOf(client));
}

const DATA = {
  user: { id: 7, name: "Zoë Ñandú 中文 🎉", roles: ["admin", "editor"] },
  cart: [
    {
      sku: "a-1",
      qty: 2,
      note: 'quotes " and \\ backslash',
      meta: { nested: { deep: [1, null] } },
    },
    { sku: "b/2+=", qty: 1.5, gift: true, tags: [] },
  ],
};

describe("reading cookie-session's cookies", () => {
  test("the data round-trips, with the cookie's value as the key", async () => {
    const client = await loggedIn("/old");
    assert.deepEqual(await whoami(client, "/old"), DATA);
    const source = cookieSession({ keys: [OLD] });
    const finding = source.find(readerOf(client));
    assert.ok(finding.kind === "found");
    assert.equal(finding.cookie.key, client.jar.get("session"));
    const session = await source.read(finding.cookie, 1_000);
    assert.deepEqual(session, { data: DATA, expiresAt: undefined });
    assert.equal(source.forget(finding.cookie), undefined);
  });

  test("the test's signing helper is keygrip's, byte for byte", async () => {
    const client = await loggedIn("/old");
    const value = client.jar.get("session") as string;
    assert.equal(client.jar.get("session.sig"), sign(`session=${value}`, OLD));
  });

  test("a custom name, and maxAge bounding the moved session from now", async () => {
    const client = await loggedIn("/named");
    assert.ok(client.jar.has("legacy") && !client.jar.has("session"));
    assert.deepEqual(findIn(client, { keys: [OLD] }), { kind: "absent" });
    const source = cookieSession({ keys: [OLD], name: "legacy", maxAge: MAX_AGE });
    const finding = source.find(readerOf(client));
    assert.ok(finding.kind === "found");
    assert.deepEqual(await source.read(finding.cookie, 5_000), {
      data: DATA,
      expiresAt: 5_000 + MAX_AGE,
    });
  });

  test("key rotation: [new, old] reads cookies signed with either", async () => {
    const client = await loggedIn("/old");
    const rotated = { keys: [NEW, OLD] };
    assert.equal(findIn(client, rotated).kind, "found");
    assert.deepEqual(findIn(client, { keys: [NEW] }), {
      kind: "rejected",
      reason: "bad-signature",
    });
    // Reading with [new, old] makes cookie-session re-sign the .sig with the new key, unchanged data.
    const valueBefore = client.jar.get("session");
    assert.deepEqual(await whoami(client, "/rotated"), DATA);
    assert.equal(client.jar.get("session"), valueBefore);
    assert.equal(client.jar.get("session.sig"), sign(`session=${valueBefore}`, NEW));
    assert.equal(findIn(client, rotated).kind, "found");
    assert.equal(findIn(client, { keys: [NEW] }).kind, "found");
    assert.equal(findIn(client, { keys: [OLD] }).kind, "rejected");
    // A change under [new, old] writes a new value signed with the new key.
    await client.post("/rotated/touch");
    const finding = cookieSession(rotated).find(readerOf(client));
    assert.ok(finding.kind === "found");
    assert.deepEqual(finding.cookie.data, { ...DATA, visits: 1 });
  });

  test("secret works as a single key", async () => {
    const client = await loggedIn("/secret");
    for (const options of [{ secret: SECRET }, { keys: [SECRET] }]) {
      const finding = findIn(client, options);
      assert.ok(finding.kind === "found");
      assert.deepEqual(finding.cookie.data, DATA);
    }
    assert.equal(findIn(client, { secret: OLD }).kind, "rejected");
  });

  test("an emptied session is no session; a logged-out one is absent", async () => {
    const client = await loggedIn("/old");
    await client.post("/old/empty");
    assert.equal(client.jar.get("session"), encode("{}"));
    const source = cookieSession({ keys: [OLD] });
    const finding = source.find(readerOf(client));
    assert.ok(finding.kind === "found");
    assert.equal(await source.read(finding.cookie, 0), undefined);
    // cookie-session clears with an Expires in 1970, which CookieClient keeps as an empty value.
    await client.post("/old/logout");
    assert.equal(client.jar.get("session"), "");
    assert.deepEqual(source.find(readerOf(client)), { kind: "absent" });
  });
});

describe("rejecting what cookie-session would not accept", () => {
  const rejected = { kind: "rejected", reason: "bad-signature" };

  test("a tampered value is rejected, as cookie-session rejects it", async () => {
    const client = await loggedIn("/old");
    const forged = { ...DATA, user: { id: 1, name: "root", roles: ["admin"] } };
    client.jar.set("session", encode(JSON.stringify(forged)));
    assert.deepEqual(findIn(client, { keys: [OLD] }), rejected);
    assert.deepEqual(await whoami(client, "/old"), {});
  });

  test("a tampered signature is rejected", async () => {
    const client = await loggedIn("/old");
    const sig = client.jar.get("session.sig") as string;
    client.jar.set("session.sig", `${sig[0] === "A" ? "B" : "A"}${sig.slice(1)}`);
    assert.deepEqual(findIn(client, { keys: [OLD] }), rejected);
    client.jar.set("session.sig", `${sig}=`);
    assert.deepEqual(findIn(client, { keys: [OLD] }), rejected);
    assert.deepEqual(await whoami(client, "/old"), {});
  });

  test("a missing .sig is rejected", async () => {
    const client = await loggedIn("/old");
    client.jar.delete("session.sig");
    assert.deepEqual(findIn(client, { keys: [OLD] }), rejected);
    assert.deepEqual(await whoami(client, "/old"), {});
  });

  test("a cookie signed with an unknown key is rejected", async () => {
    const client = await loggedIn("/secret");
    assert.deepEqual(findIn(client, { keys: ["some other key", OLD] }), rejected);
    assert.deepEqual(await whoami(client, "/old"), {});
  });

  test("a signed value that is not base64 JSON of an object is malformed", () => {
    const source = cookieSession({ keys: [OLD] });
    for (const json of ["[1,2]", '"text"', "null", "42", "{not json", ""]) {
      const value = encode(json) || "AA";
      const header = `session=${value}; session.sig=${sign(`session=${value}`, OLD)}`;
      assert.deepEqual(source.find(readerFor(header)), { kind: "rejected", reason: "malformed" });
    }
    const deep = encode(`{"a":${"[".repeat(600)}${"]".repeat(600)}}`);
    const header = `session=${deep}; session.sig=${sign(`session=${deep}`, OLD)}`;
    assert.deepEqual(source.find(readerFor(header)), { kind: "rejected", reason: "too-deep" });
  });

  test("of several cookies of the name, the first pair that verifies wins", async () => {
    const client = await loggedIn("/old");
    const value = client.jar.get("session") as string;
    const sig = client.jar.get("session.sig") as string;
    const planted = encode('{"user":"planted"}');
    const other = encode('{"user":"second"}');
    const header = [
      `session=${planted}`,
      `session.sig=${sign(`session=${planted}`, "attacker's key")}`,
      `session=${value}`,
      `session=${other}`,
      `session.sig=${sign(`session=${other}`, OLD)}`,
      `session.sig=${sig}`,
    ].join("; ");
    const finding = cookieSession({ keys: [OLD] }).find(readerFor(header));
    assert.ok(finding.kind === "found");
    assert.equal(finding.cookie.key, value);
    assert.deepEqual(finding.cookie.data, DATA);
  });

  test("arbitrary session data round-trips as cookie-session reads it", async () => {
    const source = cookieSession({ keys: [OLD] });
    const json = fc.jsonValue({ maxDepth: 3 });
    await fc.assert(
      fc.asyncProperty(json, fc.array(json, { maxLength: 3 }), async (user, cart) => {
        const client = await loggedIn("/old", { user, cart });
        const finding = source.find(readerOf(client));
        assert.ok(finding.kind === "found");
        assert.deepEqual(finding.cookie.data, await whoami(client, "/old"));
      }),
      { numRuns: 40 },
    );
  });

  test("garbage never throws out of find()", () => {
    const source = cookieSession({ keys: [NEW, OLD] });
    const text = fc.string({ unit: "binary", maxLength: 200 });
    const base64ish = fc.string({
      unit: fc.constantFrom(
        ..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_",
      ),
      maxLength: 60,
    });
    const values = fc.array(fc.oneof(text, base64ish), { maxLength: 20 });
    fc.assert(
      fc.property(values, values, text, (sessions, sigs, header) => {
        const byName: Record<string, string[]> = { session: sessions, "session.sig": sigs };
        const kinds = [
          source.find({ getAll: (name) => byName[name] ?? [] }).kind,
          source.find(readerFor(header)).kind,
        ];
        for (const kind of kinds) assert.ok(kind === "absent" || kind === "rejected");
      }),
      { numRuns: 500 },
    );
  });
});

describe("the source's shape and options", () => {
  test("name, cookies to clear, and forget", () => {
    const plain = cookieSession({ secret: SECRET });
    assert.equal(plain.name, "cookie-session");
    assert.deepEqual(plain.cookies, [
      { name: "session", options: { path: "/" } },
      { name: "session.sig", options: { path: "/" } },
    ]);
    const scoped = cookieSession({
      keys: [OLD],
      name: "app",
      cookie: { path: "/shop", domain: "example.com" },
    });
    const options = { path: "/shop", domain: "example.com" };
    assert.deepEqual(scoped.cookies, [
      { name: "app", options },
      { name: "app.sig", options },
    ]);
  });

  test("bad options are a ConfigError that names the problem and never shows a key", () => {
    const cases: [unknown, RegExp][] = [
      [{}, /needs the app's cookie-session keys/],
      [{ keys: [OLD], secret: SECRET }, /keys or secret, not both/],
      [{ keys: [] }, /non-empty array.*an empty array/],
      [{ keys: OLD }, /non-empty array.*a string/],
      [{ keys: [OLD, ""] }, /keys\[1\] must be a non-empty string; got an empty string/],
      [{ keys: [OLD, 42] }, /keys\[1\].*a number/],
      [{ secret: "" }, /secret.*non-empty string; got an empty string/],
      [{ keys: [OLD], name: "my session" }, /name.*" " \(U\+0020\)/],
      [{ keys: [OLD], maxAge: 0 }, /maxAge.*positive number of milliseconds.*got 0\./],
      [{ keys: [OLD], maxAge: Number.NaN }, /maxAge.*got NaN/],
      [{ keys: [OLD], maxAge: "1h" }, /maxAge.*got "1h"/],
      [{ keys: [OLD], path: "/" }, /no option "path".*cookie: \{ path \}/],
      [{ keys: [OLD], signed: false }, /no option "signed".*leave signed out/],
      [{ keys: [OLD], cookie: { secure: true } }, /no option "cookie.secure"/],
      [{ keys: [OLD], cookie: { path: "shop" } }, /does not start with "\/"/],
      [{ keys: [OLD], cookie: { domain: "https://example.com" } }, /domain/],
    ];
    for (const [options, message] of cases) {
      assert.throws(
        () => cookieSession(options as CookieSessionSourceOptions),
        (error: unknown) => {
          assert.ok(error instanceof ConfigError, String(error));
          assert.match(error.message, message);
          assert.ok(!error.message.includes(OLD) && !error.message.includes(SECRET));
          return true;
        },
      );
    }
  });
});
