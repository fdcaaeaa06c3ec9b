import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { withSessions } from "../../src/adapters/node.ts";
import { createSessions } from "../../src/engine/manager.ts";
import type { SessionValue } from "../../src/session/session.ts";
import { memoryStore } from "../../src/stores/memory.ts";
import { CookieClient } from "../support/client.ts";
import { FlakyStore } from "../support/counting-store.ts";

/**
 * The node:http response hook with handlers that use node:http in all its forms: headers passed
 * to writeHead as a shared object or a raw array, streaming, errors before and after sending.
 * Each route changes the session, so its commit waits for a store write and output is held.
 */
const SHARED_HEADERS = Object.freeze({ "Content-Type": "text/plain", "Set-Cookie": "consent=1" });
const ROUTES: Record<string, (req: IncomingMessage, res: ServerResponse) => void | Promise<void>> =
  {
    "/shared-headers": (_req, res) => {
      res.writeHead(200, SHARED_HEADERS);
      res.end("ok");
    },
    "/set-header-then-write-head": (_req, res) => {
      // The application's own cookie and Vary, set before writeHead gets an object without them.
      res.setHeader("Set-Cookie", "theme=dark; Path=/");
      res.setHeader("Vary", "Accept-Encoding");
      res.writeHead(200, { "Content-Type": "text/plain" });
      res.end("ok");
    },
    "/plain-object": (_req, res) => {
      res.writeHead(200, { "Content-Type": "text/plain" });
      res.end("ok");
    },
    "/raw-array": (_req, res) => {
      res.writeHead(200, ["Content-Type", "text/plain", "Vary", "Accept-Encoding"]);
      res.end("ok");
    },
    "/set-header-then-raw-array": (_req, res) => {
      res.setHeader("Set-Cookie", "app=1; Path=/");
      res.setHeader("Vary", "Accept-Language");
      res.writeHead(200, ["Content-Type", "text/plain"]);
      res.end("ok");
    },
    "/raw-pairs": (_req, res) => {
      res.writeHead(200, [
        ["Content-Type", "text/plain"],
        ["X-A", "1"],
      ] as unknown as string[]);
      res.end("ok");
    },
    "/raw-array-without-vary": (_req, res) => {
      res.writeHead(200, ["Content-Type", "text/plain"]);
      res.end("ok");
    },
    "/bad-location": (_req, res) => {
      res.writeHead(302, { Location: "/next\r\nX-Injected: 1" });
      res.end();
    },
    "/stream": async (_req, res) => {
      res.writeHead(200, { "Content-Type": "text/plain" });
      const chunk = "x".repeat(64 * 1024);
      let refused = 0;
      for (let index = 0; index < 64; index++) {
        if (!res.write(chunk)) {
          refused++;
          await new Promise((resolve) => res.once("drain", resolve));
        }
      }
      res.end(`\nrefused ${refused}`);
    },
    "/bare-async": (_req, res) => {
      res.writeHead(200);
      res.end("ok");
    },
    "/throw-after-end": (_req, res) => {
      res.writeHead(200, { "Content-Type": "text/plain" });
      res.end("complete");
      throw new Error("a bug after the response was finished");
    },
    "/late-change": async (_req, res) => {
      res.writeHead(200, { "Content-Type": "text/plain" });
      res.end("sent");
    },
    "/gzip-then-fail": (_req, res) => {
      res.setHeader("Content-Encoding", "gzip");
      res.setHeader("ETag", '"abc"');
      res.end("not really gzip");
    },
  };

describe("node:http response hook", () => {
  let url: string;
  let server: ReturnType<typeof createServer>;
  const store = new FlakyStore(memoryStore());
  const lateErrors: string[] = [];
  before(async () => {
    const sessions = createSessions<Record<string, SessionValue>>({
      secret: "node-response-test-secret-0123456789",
      store,
      storeTimeout: "200ms",
    });
    server = createServer(
      withSessions(sessions, async (req, res, { session, cookies }) => {
        const path = req.url ?? "/";
        if (path === "/bare-sync") {
          // No session: the commit needs no store call and runs synchronously.
          cookies.set("plain", "1");
          res.writeHead(204);
          res.end();
          return;
        }
        const current = await session();
        current.set("visited", path);
        if (path === "/late-change") {
          const route = ROUTES[path];
          await route?.(req, res);
          try {
            current.set("late", "yes");
          } catch (error) {
            lateErrors.push((error as Error).message);
          }
          try {
            cookies.set("late", "yes");
          } catch (error) {
            lateErrors.push((error as Error).message);
          }
          return;
        }
        await ROUTES[path]?.(req, res);
      }),
    );
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  function quietly<T>(run: () => Promise<T>): Promise<T> {
    const original = console.error;
    console.error = () => {};
    return run().finally(() => {
      console.error = original;
    });
  }

  test("headers passed to writeHead are merged into a copy, never into the caller's object", async () => {
    const alice = await new CookieClient(url).get("/shared-headers");
    const bob = await new CookieClient(url).get("/shared-headers");
    assert.deepEqual(SHARED_HEADERS, { "Content-Type": "text/plain", "Set-Cookie": "consent=1" });
    assert.equal(alice.setCookies.length, 2);
    assert.equal(bob.setCookies.length, 2);
    assert.notEqual(alice.setCookies[1], bob.setCookies[1], "each user gets their own session");
    assert.match(bob.headers.get("vary") ?? "", /Cookie/);
  });

  test("headers set before writeHead(status, object) are kept next to the session's", async () => {
    const response = await new CookieClient(url).get("/set-header-then-write-head");
    assert.equal(response.status, 200);
    assert.ok(response.setCookies.includes("theme=dark; Path=/"), String(response.setCookies));
    assert.ok(response.setCookies.some((cookie) => cookie.startsWith("session=")));
    assert.equal(response.headers.get("vary"), "Accept-Encoding, Cookie");
  });

  test("writeHead(status, object naming neither) carries one session cookie and one Vary: Cookie", async () => {
    const response = await new CookieClient(url).get("/plain-object");
    assert.equal(response.status, 200);
    assert.equal(response.setCookies.filter((cookie) => cookie.startsWith("session=")).length, 1);
    assert.equal(response.headers.get("vary"), "Cookie");
  });

  test("a raw header array keeps the session cookie and Vary: Cookie", async () => {
    const response = await new CookieClient(url).get("/raw-array");
    assert.equal(response.status, 200);
    assert.ok(response.setCookies.some((cookie) => cookie.startsWith("session=")));
    assert.equal(response.headers.get("vary"), "Accept-Encoding, Cookie");
  });

  test("a raw header array naming neither keeps the app's own Set-Cookie and Vary next to the session's", async () => {
    const response = await new CookieClient(url).get("/set-header-then-raw-array");
    assert.equal(response.status, 200);
    assert.ok(response.setCookies.includes("app=1; Path=/"), String(response.setCookies));
    assert.ok(response.setCookies.some((cookie) => cookie.startsWith("session=")));
    assert.equal(response.headers.get("vary"), "Accept-Language, Cookie");
    assert.equal(response.headers.get("content-type"), "text/plain");
  });

  test("the array-of-pairs form of writeHead keeps its headers and gets the session's", async () => {
    const response = await new CookieClient(url).get("/raw-pairs");
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-type"), "text/plain");
    assert.equal(response.headers.get("x-a"), "1");
    assert.ok(response.setCookies.some((cookie) => cookie.startsWith("session=")));
    assert.equal(response.headers.get("vary"), "Cookie");
  });

  test("a raw header array without Vary gets Vary: Cookie", async () => {
    const response = await new CookieClient(url).get("/raw-array-without-vary");
    assert.equal(response.status, 200);
    assert.ok(response.setCookies.some((cookie) => cookie.startsWith("session=")));
    assert.equal(response.headers.get("vary"), "Cookie");
  });

  test("writeHead without a headers argument still carries the cookies, sync or held", async () => {
    const sync = await new CookieClient(url).get("/bare-sync");
    assert.equal(sync.status, 204);
    assert.match(sync.setCookies[0] ?? "", /^plain=1; /);
    const held = await new CookieClient(url).get("/bare-async");
    assert.equal(held.status, 200);
    assert.ok(held.setCookies.some((cookie) => cookie.startsWith("session=")));
    assert.match(held.headers.get("vary") ?? "", /Cookie/);
  });

  test("a header the handler got wrong answers 500 instead of crashing the process", async () => {
    const response = await quietly(() => new CookieClient(url).get("/bad-location"));
    assert.equal(response.status, 500);
    assert.equal((await new CookieClient(url).get("/raw-array")).status, 200, "still serving");
  });

  test("held-back writes report backpressure and the stream completes", async () => {
    const response = await new CookieClient(url).get("/stream");
    assert.equal(response.status, 200);
    assert.equal(
      response.text.length,
      64 * 64 * 1024 + "\nrefused ".length + String(response.text.split("refused ")[1]).length,
    );
    assert.ok(Number(response.text.split("refused ")[1]) >= 1, "the first write waited for drain");
  });

  test("a handler that throws after finishing its response leaves that response alone", async () => {
    const browser = new CookieClient(url);
    const response = await quietly(() => browser.get("/throw-after-end"));
    assert.equal(response.status, 200);
    assert.equal(response.text, "complete");
    assert.ok(response.setCookies.some((cookie) => cookie.startsWith("session=")));
  });

  test("changes after the response started throw a clear error instead of vanishing", async () => {
    lateErrors.length = 0;
    await new CookieClient(url).get("/late-change");
    assert.equal(lateErrors.length, 2);
    assert.match(lateErrors[0] ?? "", /session\.set\("late", …\) came after the response started/);
    assert.match(lateErrors[1] ?? "", /cookies\.set\("late"\) came after the response started/);
  });

  test("the 503 for a store outage carries none of the handler's headers", async () => {
    store.mode = "refuse";
    try {
      const response = await new CookieClient(url).get("/gzip-then-fail");
      assert.equal(response.status, 503);
      assert.equal(response.headers.get("content-encoding"), null);
      assert.equal(response.headers.get("etag"), null);
      assert.match(response.text, /session store/);
    } finally {
      store.mode = "up";
    }
  });
});

describe("two session managers on one response (an admin cookie beside the user's)", () => {
  test("both commit, each its own cookie, whichever changed and however the handler sends", async (t) => {
    const user = createSessions({
      secret: "user-sessions-secret-0123456789abcdef",
      store: memoryStore(),
    });
    const admin = createSessions({
      secret: "admin-sessions-secret-0123456789abcdef",
      store: memoryStore(),
      cookie: { name: "admin" },
    });
    const inner = withSessions(admin, async (req, res, { session }) => {
      (await session()).set("role", "admin");
      if (req.url === "/set-header") {
        res.setHeader("Content-Type", "text/plain");
        res.end("both");
      } else {
        res.writeHead(200, { "Content-Type": "text/plain" });
        res.end("both");
      }
    });
    const server = createServer(
      withSessions(user, async (req, res, { session }) => {
        (await session()).set("name", "ada");
        inner(req, res);
      }),
    );
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    t.after(() => server.close());
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    for (const path of ["/write-head", "/set-header"]) {
      const response = await new CookieClient(url).get(path);
      assert.equal(response.status, 200, path);
      assert.equal(response.text, "both");
      const names = response.setCookies.map((cookie) => cookie.split("=")[0]).sort();
      assert.deepEqual(names, ["admin", "session"], `${path}: ${response.setCookies.join(" | ")}`);
    }
  });
});
