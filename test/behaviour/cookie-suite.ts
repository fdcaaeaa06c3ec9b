import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import fc from "fast-check";
import { createSessions } from "../../src/engine/manager.ts";
import type { CookieSessionOptions, SealedCookieSessionOptions } from "../../src/engine/options.ts";
import { type ClientResponse, CookieClient } from "../support/client.ts";
import type { AdapterHarness, Served } from "./app.ts";

const SECRET = "cookie-suite-secret-0123456789abcdefghij";
const OLD_SECRET = "cookie-suite-old-secret-0123456789abcdef";

type Format = CookieSessionOptions["format"];

async function start(
  harness: AdapterHarness,
  format: Format,
  options: Partial<Omit<SealedCookieSessionOptions, "format">> = {},
): Promise<{ client: CookieClient; served: Served; close(): Promise<void> }> {
  // The union is checked per format at run time (absoluteLifetime with "flask" is refused).
  const served = await harness.serve({ options: { secret: SECRET, ...options, format } });
  return { client: new CookieClient(served.url), served, close: () => served.close() };
}

function sessionCookie(response: ClientResponse): string | undefined {
  return response.setCookies.find((header) => header.startsWith("session="));
}

/**
 * A cookie that did not open: a sealed one is dropped, so the browser stops sending it; a Flask
 * one stays, as Flask leaves it, because the Flask app sharing it may read what tessera cannot.
 */
function assertDropped(format: Format, response: ClientResponse): void {
  if (format === "sealed") assert.match(sessionCookie(response) ?? "", /Max-Age=0/, "dropped");
  else assert.equal(sessionCookie(response), undefined, "left for the Flask app");
}

function cookieValue(header: string | undefined): string {
  return header?.split(";")[0]?.slice("session=".length) ?? "";
}

/**
 * Cookie sessions (format "flask" and "sealed") through one adapter: the same Session API and
 * the behaviour users rely on, with no store behind it. What only a store can give (revoking a
 * cookie already issued, merging concurrent writes) is documented as the trade-off it is.
 */
export function runCookieSessionSuite(harness: AdapterHarness): void {
  for (const format of ["flask", "sealed"] as const) {
    describe(`cookie sessions (format "${format}") through ${harness.name}`, () => {
      let app: Awaited<ReturnType<typeof start>>;
      before(async () => {
        app = await start(harness, format);
      });
      after(() => app.close());

      /** A fresh browser on the shared app. */
      const browser = () => new CookieClient(app.client.base);

      test("no cookie and an untouched or empty session: no Set-Cookie at all", async () => {
        const client = browser();
        assert.deepEqual((await client.get("/noop")).setCookies, []);
        const read = await client.get("/data");
        assert.deepEqual(read.json(), { id: null, isNew: true, data: {} });
        assert.deepEqual(read.setCookies, []);
        assert.equal(read.headers.get("vary"), "Cookie", "the response depends on the session");
        assert.deepEqual((await client.post("/flash-and-show")).setCookies, []);
      });

      test("a change travels in a secure-by-default cookie and comes back on the next request", async () => {
        const client = browser();
        const written = await client.post("/set?user=alice&theme=dark");
        const cookie = sessionCookie(written) ?? "";
        assert.match(cookie, /; Path=\//);
        assert.match(cookie, /; HttpOnly/);
        assert.match(cookie, /; SameSite=Lax/);
        assert.match(cookie, /; Max-Age=2678400/, "permanent by default, 31 days as Flask");
        if (format === "sealed") {
          assert.match(cookieValue(cookie), /^v1\./);
          assert.ok(!cookieValue(cookie).includes("alice"), "the data is encrypted");
        }
        const read = await client.get("/data");
        assert.deepEqual(read.json().data, { user: "alice", theme: "dark" });
        assert.equal(read.json().isNew, false);
        assert.deepEqual(read.setCookies, [], "read and unchanged: no cookie re-issued");
      });

      test("session.id is a clear error: cookie sessions carry data, not an id", async () => {
        const manager = createSessions({ secret: SECRET, format });
        const scope = manager.begin({ cookieHeader: undefined, encrypted: false });
        const session = await scope.session();
        assert.throws(() => session.id, /has no id/);
        assert.throws(() => manager.store, /have no store/);
      });

      test("changing any one character of the cookie gives an empty session, never an error", async () => {
        const client = browser();
        const value = cookieValue(sessionCookie(await client.post("/set?user=alice")));
        // Exhaustively over positions; two replacement characters per position keep it quick.
        for (let index = 0; index < value.length; index++) {
          for (const replacement of index % 2 === 0 ? ["A", "."] : ["z", "-"]) {
            if (value[index] === replacement) continue;
            const altered = value.slice(0, index) + replacement + value.slice(index + 1);
            const response = await browser().get("/data", { cookie: `session=${altered}` });
            assert.equal(response.status, 200);
            assert.deepEqual(response.json().data, {}, `character ${index} → ${replacement}`);
            assertDropped(format, response);
          }
        }
      });

      test("any Cookie header at all gives a working response, never a 5xx (property)", async () => {
        await fc.assert(
          fc.asyncProperty(fc.string({ maxLength: 200 }), async (text) => {
            const header = `session=${text.replace(/[\r\n\0]/g, "")}`;
            const response = await browser().get("/data", { cookie: header });
            assert.equal(response.status, 200);
          }),
          { numRuns: 60 },
        );
      });

      test("a junk cookie of the same name sent first does not hide the real one", async () => {
        const client = browser();
        const value = cookieValue(sessionCookie(await client.post("/set?user=alice")));
        const response = await browser().get("/data", {
          cookie: `session=planted-by-a-sibling; session=${value}`,
        });
        assert.deepEqual(response.json().data, { user: "alice" });
      });

      test("permanent off: a browser-session cookie; on again: Max-Age comes back", async () => {
        const client = browser();
        await client.post("/set?user=alice");
        const off = sessionCookie(await client.post("/permanent?value=false")) ?? "";
        assert.doesNotMatch(off, /Max-Age|Expires/);
        assert.deepEqual((await client.get("/data")).json().data, { user: "alice" });
        const on = sessionCookie(await client.post("/permanent?value=true")) ?? "";
        assert.match(on, /Max-Age=2678400/);
      });

      test("regenerate re-issues the cookie and keeps the data", async () => {
        const client = browser();
        const first = cookieValue(sessionCookie(await client.post("/set?user=alice")));
        const response = await client.post("/regenerate");
        const second = cookieValue(sessionCookie(response));
        assert.ok(second !== "" && (format === "flask" || second !== first));
        assert.deepEqual((await client.get("/data")).json().data, { user: "alice" });
      });

      test("clear() and destroy() clear the cookie; destroy then flash starts a new one", async () => {
        const client = browser();
        await client.post("/set?user=alice");
        assert.match(sessionCookie(await client.post("/clear")) ?? "", /^session=; .*Max-Age=0/);
        assert.equal(client.jar.has("session"), false);
        await client.post("/set?user=alice");
        assert.match(sessionCookie(await client.post("/destroy")) ?? "", /Max-Age=0/);
        await client.post("/set?user=bob");
        const flashed = sessionCookie(await client.post("/destroy?flash=Logged%20out")) ?? "";
        assert.ok(flashed !== "" && !/Max-Age=0/.test(flashed), "a new cookie, not a deletion");
        const read = await client.get("/data");
        assert.deepEqual(read.json().data, {}, "the old data is gone");
        assert.deepEqual((await client.get("/flashes")).json(), [
          { category: "message", message: "Logged out" },
        ]);
      });

      test("a session destroyed and begun again is permanent, as new sessions are", async () => {
        const client = browser();
        await client.post("/set?user=alice");
        const flashed = sessionCookie(await client.post("/destroy?flash=Bye")) ?? "";
        assert.match(flashed, /Max-Age=2678400/);
      });

      test("flash messages are kept per category until consumed", async () => {
        const client = browser();
        await client.post("/flash?message=one&category=info");
        await client.post("/flash?message=two&category=error");
        assert.deepEqual((await client.get("/flashes?category=error")).json(), [
          { category: "error", message: "two" },
        ]);
        assert.deepEqual((await client.get("/flashes")).json(), [
          { category: "info", message: "one" },
        ]);
        const empty = await client.get("/flashes");
        assert.deepEqual(empty.json(), []);
      });

      test("a handler that fails saves nothing and answers 500", async () => {
        const client = browser();
        await client.post("/set?user=alice");
        const failed = await client.post("/fail");
        assert.equal(failed.status, 500);
        assert.equal(sessionCookie(failed), undefined);
        assert.deepEqual((await client.get("/data")).json().data, { user: "alice" });
      });

      test("plain cookies work beside the session cookie", async () => {
        const client = browser();
        await client.post("/set?user=alice");
        await client.post("/cookie?name=theme&value=dark");
        assert.deepEqual((await client.get("/cookie?name=theme")).json(), { value: "dark" });
        assert.deepEqual((await client.get("/data")).json().data, { user: "alice" });
      });

      test("a session too big for a cookie is a clear 500 at commit, naming the size", async () => {
        const client = browser();
        await client.post("/set?user=alice");
        const logged: unknown[] = [];
        const original = console.error;
        console.error = (...args: unknown[]) => logged.push(...args);
        try {
          // Random text does not compress, so Flask's zlib cannot save it either.
          const big = Array.from({ length: 5_000 }, (_, i) => ((i * 7919) % 9973).toString(36))
            .join("")
            .slice(0, 5_000);
          const response = await client.post(`/set?notes=${big}`);
          assert.equal(response.status, 500);
        } finally {
          console.error = original;
        }
        const message = [...logged, ...(await app.served.errorsLogged())]
          .map((item) => String(item))
          .join("\n");
        assert.match(
          message,
          /would make a Set-Cookie header of \d{4,} bytes, over the 4096-byte limit/,
        );
        // (a JSON log line, such as Fastify's, escapes the quotes)
        assert.match(message, /\\?"notes\\?"/);
        assert.deepEqual((await client.get("/data")).json().data, { user: "alice" });
      });

      test("rolling: an unchanged read re-issues the cookie only once the throttle has passed", async () => {
        const rolling = await start(harness, format, { lifetime: "1h", touchAfter: "1s" });
        try {
          await rolling.client.post("/set?user=alice");
          assert.deepEqual((await rolling.client.get("/data")).setCookies, []);
          await sleep(2_100);
          const due = await rolling.client.get("/data");
          assert.match(sessionCookie(due) ?? "", /Max-Age=3(59[89]|600)/);
          assert.deepEqual((await rolling.client.get("/data")).setCookies, []);
        } finally {
          await rolling.close();
        }
      });

      test("rolling off: reads never re-issue, and the lifetime runs from the last write", async () => {
        const fixed = await start(harness, format, { lifetime: "2s", rolling: false });
        try {
          await fixed.client.post("/set?user=alice");
          await sleep(1_100);
          assert.deepEqual((await fixed.client.get("/data")).setCookies, []);
          await sleep(2_100);
          const expired = await fixed.client.get("/data");
          assert.deepEqual(expired.json().data, {}, "expired");
          assertDropped(format, expired);
        } finally {
          await fixed.close();
        }
      });

      if (format === "sealed") {
        test("absolute lifetime ends a sealed session however active it is", async () => {
          const bounded = await start(harness, format, {
            // As long as the absolute limit (no shorter is allowed): the requests below come
            // within it, so only the absolute limit can end the session.
            lifetime: "4s",
            // The cookie keeps whole seconds, so the limit may come up to a second early.
            absoluteLifetime: "4s",
          });
          try {
            await bounded.client.post("/set?user=alice");
            await sleep(1_000);
            await bounded.client.post("/set?step=2");
            assert.deepEqual((await bounded.client.get("/data")).json().data, {
              user: "alice",
              step: "2",
            });
            await sleep(3_200);
            assert.deepEqual((await bounded.client.get("/data")).json().data, {});
          } finally {
            await bounded.close();
          }
        });
      } else {
        test("absolute lifetime with Flask's format is refused at startup", () => {
          assert.throws(
            () =>
              createSessions({
                secret: SECRET,
                format,
                // The types already refuse it; a JavaScript caller gets the startup error.
                absoluteLifetime: "1d",
              } as unknown as CookieSessionOptions),
            /absoluteLifetime cannot be kept with format "flask"/,
          );
        });
      }

      test("secret rotation: an old-key cookie is accepted and re-issued with the newest key", async () => {
        const old = await start(harness, format, { secret: OLD_SECRET });
        const created = cookieValue(sessionCookie(await old.client.post("/set?user=alice")));
        await old.close();
        const rotated = await start(harness, format, { secret: [SECRET, OLD_SECRET] });
        const newestOnly = await start(harness, format, { secret: SECRET });
        try {
          assert.deepEqual(
            (await newestOnly.client.get("/data", { cookie: `session=${created}` })).json().data,
            {},
            "the newest key alone does not open it",
          );
          const response = await rotated.client.get("/data", { cookie: `session=${created}` });
          assert.deepEqual(response.json().data, { user: "alice" });
          const reissued = cookieValue(sessionCookie(response));
          assert.ok(reissued !== "" && reissued !== created, "re-issued");
          const read = await newestOnly.client.get("/data", { cookie: `session=${reissued}` });
          assert.deepEqual(read.json().data, { user: "alice" }, "signed with the newest key");
          const again = await rotated.client.get("/data", { cookie: `session=${reissued}` });
          assert.deepEqual(again.setCookies, [], "re-issued once, not on every request");
        } finally {
          await rotated.close();
          await newestOnly.close();
        }
      });

      test("secure: auto marks the cookie Secure behind a trusted HTTPS proxy only", async () => {
        const untrusted = await browser().post("/set?a=1", "", { "x-forwarded-proto": "https" });
        assert.doesNotMatch(sessionCookie(untrusted) ?? "", /; Secure/);
        const proxied = await start(harness, format, { trustProxy: true });
        try {
          const response = await proxied.client.post("/set?a=1", "", {
            "x-forwarded-proto": "https",
          });
          assert.match(sessionCookie(response) ?? "", /; Secure/);
        } finally {
          await proxied.close();
        }
      });

      test("another app's cookie (another secret) is an empty session; sealed, it is dropped", async () => {
        const other = await start(harness, format, {
          secret: "some-other-application-secret-0123456789",
        });
        try {
          const foreign = cookieValue(sessionCookie(await other.client.post("/set?user=mallory")));
          const response = await browser().get("/data", { cookie: `session=${foreign}` });
          assert.deepEqual(response.json().data, {});
          assertDropped(format, response);
        } finally {
          await other.close();
        }
      });
    });
  }
}
