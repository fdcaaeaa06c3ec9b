import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import {
  type Browser,
  type BrowserContext,
  type Cookie,
  chromium,
  type Locator,
  type Page,
} from "playwright-core";
import { CHROMIUM, CHROMIUM_ARGS, CHROMIUM_SKIP_REASON } from "../support/chromium.ts";
import { type DemoProcess, startDemo } from "../support/demo-process.ts";

/**
 * The demo site in a real browser: Debian's chromium driven by playwright-core (never a browser
 * that playwright downloads). Everything stays on 127.0.0.1.
 */

const THIRTY_ONE_DAYS_S = 31 * 24 * 60 * 60;

function sessionCookie(cookies: readonly Cookie[]): Cookie | undefined {
  return cookies.find((cookie) => cookie.name === "session");
}

/** The text in the DOM under `locator` (textContent, not layout-dependent innerText). */
async function text(locator: Locator): Promise<string> {
  return (await locator.textContent()) ?? "";
}

/** Same-origin fetch from inside the page, so the browser decides which cookies go along. */
function fetchFromPage(page: Page, path: string): Promise<{ status: number; body: unknown }> {
  return page.evaluate(async (target) => {
    const response = await fetch(target, { credentials: "same-origin" });
    return { status: response.status, body: await response.json() };
  }, path);
}

describe("demo site in a real browser (chromium)", {
  skip: CHROMIUM ? false : CHROMIUM_SKIP_REASON,
}, () => {
  const cwd = mkdtempSync(join(tmpdir(), "tessera-browser-"));
  let demo: DemoProcess | undefined;
  let browser: Browser | undefined;

  const origin = (): string => {
    assert.ok(demo, "the demo is running");
    return demo.url;
  };

  before(async () => {
    demo = await startDemo(cwd);
    // launch() gives each browser a fresh temporary profile (user-data-dir) and removes it on close.
    browser = await chromium.launch({
      executablePath: CHROMIUM ?? "chromium",
      args: CHROMIUM_ARGS,
      timeout: 15_000,
    });
  });

  after(async () => {
    await Promise.allSettled([browser?.close(), demo?.stop()]);
    rmSync(cwd, { recursive: true, force: true });
  });

  async function newPage(): Promise<{ context: BrowserContext; page: Page }> {
    assert.ok(browser, "the browser is running");
    const context = await browser.newContext();
    context.setDefaultTimeout(5_000);
    return { context, page: await context.newPage() };
  }

  describe("the login walkthrough", () => {
    let context: BrowserContext;
    let page: Page;
    let stolen: Cookie;

    before(async () => {
      ({ context, page } = await newPage());
    });
    after(() => context?.close());

    test("/ links to /login; logging in lands on / with Hello, <name>", async () => {
      await page.goto(`${origin()}/`);
      await assert.doesNotReject(page.getByText("You are not logged in.").waitFor());
      assert.equal(sessionCookie(await context.cookies()), undefined, "looking creates no session");

      await page.getByRole("link", { name: "Log in" }).click();
      await page.waitForURL(`${origin()}/login`);
      await page.fill('input[name="username"]', "alice");
      await page.fill('input[name="password"]', "correct horse");
      await Promise.all([
        page.waitForURL(`${origin()}/`),
        page.getByRole("button", { name: "Log in" }).click(),
      ]);
      assert.match(await text(page.locator("body")), /Hello, alice/);
    });

    test("the session cookie is HttpOnly, SameSite=Lax, Path=/, not Secure, ~31 days", async () => {
      // A script-visible cookie proves document.cookie works here, so its silence is meaningful.
      const visible = await page.evaluate<string>(
        "document.cookie = 'probe=visible; path=/'; document.cookie",
      );
      assert.equal(visible, "probe=visible", "scripts see only the non-HttpOnly probe");

      const cookie = sessionCookie(await context.cookies(origin()));
      assert.ok(cookie, "the browser holds a session cookie");
      assert.match(cookie.value, /^[\w-]{43}\.[\w-]{43}$/);
      assert.equal(cookie.domain, "127.0.0.1");
      assert.equal(cookie.path, "/");
      assert.equal(cookie.httpOnly, true);
      assert.equal(cookie.secure, false, "plain http: not Secure");
      assert.equal(cookie.sameSite, "Lax");
      const ahead = cookie.expires - Date.now() / 1000;
      assert.ok(
        Math.abs(ahead - THIRTY_ONE_DAYS_S) < 120,
        `expires ${Math.round(ahead)} s ahead, expected about 31 days (${THIRTY_ONE_DAYS_S} s)`,
      );
      stolen = cookie;
    });

    test("a same-origin fetch of /api/me sends the cookie and gets the username", async () => {
      assert.deepEqual(await fetchFromPage(page, "/api/me"), {
        status: 200,
        body: { username: "alice" },
      });
    });

    test("after a restart (same SQLite file and secret, new port) the user is still logged in", async () => {
      const previous = origin();
      await demo?.stop();
      demo = await startDemo(cwd);
      assert.notEqual(origin(), previous, "the restarted demo listens on another port");

      // Cookies do not depend on the port, so the browser would send it anyway; carry it over by
      // hand from a clean jar so that only the stored value can explain the login.
      await context.clearCookies();
      await context.addCookies([
        {
          name: stolen.name,
          value: stolen.value,
          domain: "127.0.0.1",
          path: "/",
          expires: stolen.expires,
          httpOnly: true,
          secure: false,
          sameSite: "Lax",
        },
      ]);
      await page.goto(`${origin()}/`);
      assert.match(await text(page.locator("body")), /Hello, alice/);
      assert.deepEqual(await fetchFromPage(page, "/api/me"), {
        status: 200,
        body: { username: "alice" },
      });
      assert.match(demo.output(), /sessions: sqlite at data\/sessions\.db/);
    });

    test("Log out lands on /login, says so, and removes the session cookie", async () => {
      await Promise.all([
        page.waitForURL(`${origin()}/login?logged-out`),
        page.getByRole("button", { name: "Log out", exact: true }).click(),
      ]);
      assert.ok(await page.locator('input[name="username"]').isVisible());
      assert.match(await text(page.locator(".flash")), /You are logged out\./);
      assert.equal(sessionCookie(await context.cookies()), undefined, "the cookie is cleared");
      assert.equal((await fetchFromPage(page, "/api/me")).status, 401);
    });

    test("the session cookie replayed after logout is refused: /api/me answers 401", async () => {
      await context.addCookies([
        { name: "session", value: stolen.value, domain: "127.0.0.1", path: "/" },
      ]);
      assert.equal(sessionCookie(await context.cookies())?.value, stolen.value, "replayed");
      const me = await fetchFromPage(page, "/api/me");
      assert.equal(me.status, 401);
      assert.equal(typeof (me.body as { error?: unknown }).error, "string");
      await page.goto(`${origin()}/`);
      assert.match(await text(page.locator("body")), /You are not logged in\./);
    });
  });

  test("the cookie lab sets, shows and deletes the user cookie", async () => {
    const { context, page } = await newPage();
    try {
      await page.goto(`${origin()}/cookies`);
      assert.ok(await page.getByText("This request carried no cookies.").isVisible());

      await page.fill('#set input[name="value"]', "Grace <Hopper>");
      await Promise.all([
        page.waitForURL(`${origin()}/cookies/set`),
        page.getByRole("button", { name: "Set cookie" }).click(),
      ]);
      assert.match(
        await text(page.locator("#sent")),
        /Set-Cookie: user=Grace%20%3CHopper%3E; Max-Age=604800/,
      );
      await page.goto(`${origin()}/cookies`);
      assert.equal(await text(page.locator('td[data-label="value"] code')), "Grace <Hopper>");
      assert.ok(
        (await context.cookies()).some((cookie) => cookie.name === "user"),
        "the browser holds the user cookie",
      );

      await Promise.all([
        page.waitForURL(`${origin()}/cookies/delete`),
        page.getByRole("button", { name: "Delete", exact: true }).click(),
      ]);
      assert.match(await text(page.locator("#sent")), /Set-Cookie: user=; Max-Age=0/);
      assert.equal(
        (await context.cookies()).find((cookie) => cookie.name === "user"),
        undefined,
        "the user cookie is gone",
      );
    } finally {
      await context.close();
    }
  });
});
