/**
 * The walkthrough in a real browser (Debian's chromium through playwright-core), in every
 * SESSION_STORE mode: every page in English and Chinese at desktop and phone width (no
 * sideways scrolling on a phone), the inspector after tampering, the cookie lab's HttpOnly check
 * through document.cookie, the language switch, and a session that expires after 2 seconds.
 *
 * Screenshots go to test-results/screenshots (ignored by git); `npm run screenshots` writes
 * README's into docs/screenshots.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { CHROMIUM, CHROMIUM_ARGS, CHROMIUM_SKIP_REASON } from "../support/chromium.ts";
import { type DemoProcess, startDemo } from "../support/demo-process.ts";
import { databaseUrl, sql } from "../support/postgres.ts";
import { ensureRedis } from "../support/redis-server.ts";

/** `npm run screenshots` sets SCREENSHOTS=readme: only README's pictures, into docs/screenshots. */
const FOR_README = process.env.SCREENSHOTS === "readme";
const SCREENSHOT_DIR = FOR_README
  ? join("docs", "screenshots")
  : join("test-results", "screenshots");
const README_SHOTS = new Set([
  "sqlite-en-desktop-home.jpg",
  "sqlite-en-desktop-inspect.jpg",
  "sqlite-en-desktop-inspect-tampered.jpg",
  "redis-en-desktop-inspect.jpg",
  "cookie-flask-en-desktop-inspect.jpg",
  "sqlite-en-desktop-cookies-refused.jpg",
  "sqlite-en-desktop-sessions.jpg",
  "sqlite-zh-phone-home.jpg",
  "sqlite-zh-phone-inspect.jpg",
]);
const SECRET_KEY = randomBytes(32).toString("base64url");
const database = `tessera_browser_${randomBytes(5).toString("hex")}`;

const DESKTOP = { width: 1100, height: 800 };
const PHONE = { width: 390, height: 844 };

/** Every page of the walkthrough, visited logged in; /logout last. */
const PAGES = ["/", "/guide", "/cookies", "/inspect", "/sessions", "/logout"] as const;

const MODES: ReadonlyArray<readonly [name: string, setting: () => Promise<string>]> = [
  ["sqlite", async () => "sqlite:data/sessions.db"],
  ["memory", async () => "memory"],
  ["redis", ensureRedis],
  [
    "postgres",
    async () => {
      await sql(`CREATE DATABASE ${database}`);
      const url = new URL(databaseUrl());
      url.pathname = `/${database}`;
      return url.href;
    },
  ],
  ["cookie-flask", async () => "cookie:flask"],
  ["cookie-sealed", async () => "cookie:sealed"],
];

/** Which screenshots README shows: all pages in the default mode, the inspector in every mode. */
function worthKeeping(mode: string, path: string): boolean {
  return mode === "sqlite" || path === "/inspect";
}

async function screenshot(page: Page, file: string): Promise<void> {
  if (FOR_README && !README_SHOTS.has(file)) return;
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({
    path: join(SCREENSHOT_DIR, file),
    fullPage: true,
    type: "jpeg",
    quality: 70,
  });
}

function fileName(...parts: string[]): string {
  return `${parts.map((part) => part.replace(/^\//, "").replace(/\W+/g, "-") || "home").join("-")}.jpg`;
}

async function logIn(page: Page, origin: string, username: string): Promise<void> {
  await page.goto(`${origin}/login`);
  await page.fill('input[name="username"]', username);
  await page.fill('input[name="password"]', "anything");
  await Promise.all([
    page.waitForURL(`${origin}/`),
    page.locator('form[action="/login"] button').click(),
  ]);
}

/** Wider than the screen: the page would scroll sideways on a phone. */
function overflow(page: Page): Promise<number> {
  return page.evaluate<number>("document.documentElement.scrollWidth - window.innerWidth");
}

describe("the walkthrough in a real browser (chromium)", {
  skip: CHROMIUM ? false : CHROMIUM_SKIP_REASON,
}, () => {
  let browser: Browser;
  before(async () => {
    browser = await chromium.launch({
      executablePath: CHROMIUM ?? "chromium",
      args: CHROMIUM_ARGS,
      timeout: 15_000,
    });
  });
  after(async () => {
    await browser?.close();
    await sql(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  });

  async function newContext(options: {
    viewport?: { width: number; height: number };
    locale?: string;
  }): Promise<BrowserContext> {
    const context = await browser.newContext({
      viewport: options.viewport ?? DESKTOP,
      locale: options.locale ?? "en-US",
    });
    context.setDefaultTimeout(10_000);
    return context;
  }

  for (const [mode, setting] of MODES) {
    describe(`SESSION_STORE=${mode}`, () => {
      let demo: DemoProcess;
      before(async () => {
        demo = await startDemo(mkdtempSync(join(tmpdir(), "tessera-browser-walk-")), {
          SECRET_KEY,
          SESSION_STORE: await setting(),
          ...(mode === "redis"
            ? { SESSION_PREFIX: `browser${randomBytes(3).toString("hex")}:` }
            : {}),
        });
      });
      after(() => demo?.stop());

      for (const [lang, locale, heading] of [
        ["en", "en-US", "Cookies and sessions, live"],
        ["zh", "zh-CN", "Cookie 与会话，现场演示"],
      ] as const) {
        for (const [width, viewport] of [
          ["desktop", DESKTOP],
          ["phone", PHONE],
        ] as const) {
          test(`every page in ${lang === "en" ? "English" : "Chinese"} at ${width} width`, async () => {
            const context = await newContext({ viewport, locale });
            try {
              const page = await context.newPage();
              await logIn(page, demo.url, lang === "en" ? "alice" : "小明");
              assert.equal(await page.locator("h1").textContent(), heading);
              for (const path of PAGES) {
                const response = await page.goto(`${demo.url}${path}`);
                assert.equal(response?.status(), 200, `${path} answers 200`);
                assert.equal(
                  await page.getAttribute("html", "lang"),
                  lang === "en" ? "en" : "zh-CN",
                );
                assert.ok(
                  await page.locator("h1, main p").first().isVisible(),
                  `${path} shows its content`,
                );
                assert.ok(
                  (await overflow(page)) <= 0,
                  `${path} fits ${viewport.width} px without scrolling sideways`,
                );
                if (worthKeeping(mode, path))
                  await screenshot(page, fileName(mode, lang, width, path));
              }
            } finally {
              await context.close();
            }
          });
        }
      }

      test("the inspector after tampering: the cookie does not verify, and the session is empty", async () => {
        const context = await newContext({});
        try {
          const page = await context.newPage();
          await logIn(page, demo.url, "tamper-test");
          await page.goto(`${demo.url}/inspect`);
          assert.match((await page.locator("#session-cookie").textContent()) ?? "", /✓ Verifies/);
          await Promise.all([
            page.waitForURL(/\/inspect\?tampered=/),
            page.getByRole("button", { name: "Tamper with my cookie" }).click(),
          ]);
          assert.match(
            (await page.locator("#tamper").textContent()) ?? "",
            /was changed from .* you are logged out/s,
          );
          assert.match(
            (await page.locator("#session-cookie").textContent()) ?? "",
            /✗ Does not verify/,
          );
          assert.match(
            (await page.locator("#session").textContent()) ?? "",
            /A new, empty session/,
          );
          if (mode === "cookie-flask") {
            assert.match(
              (await page.locator("#tamper").textContent()) ?? "",
              /Flask does the same/,
            );
          }
          const me = await page.evaluate(async () => (await fetch("/api/me")).status);
          assert.equal(me, 401);
          await screenshot(page, fileName(mode, "en", "desktop", "inspect-tampered"));
        } finally {
          await context.close();
        }
      });
    });
  }

  describe("SESSION_STORE=sqlite only", () => {
    let demo: DemoProcess;
    before(async () => {
      demo = await startDemo(mkdtempSync(join(tmpdir(), "tessera-browser-walk-")), { SECRET_KEY });
    });
    after(() => demo?.stop());

    test("the cookie lab: an HttpOnly cookie reaches the server but not document.cookie", async () => {
      const context = await newContext({});
      try {
        const page = await context.newPage();
        await page.goto(`${demo.url}/cookies`);
        for (const [name, httpOnly] of [
          ["visible", false],
          ["secret", true],
        ] as const) {
          await page.fill('#set input[name="name"]', name);
          await page.fill('#set input[name="value"]', `${name}-value`);
          await page.setChecked('#set input[name="httpOnly"]', httpOnly);
          await page.getByRole("button", { name: "Set cookie" }).click();
          await page.waitForLoadState();
          assert.match(
            (await page.locator("#sent").textContent()) ?? "",
            new RegExp(`Set-Cookie: ${name}=${name}-value`),
          );
        }
        await page.goto(`${demo.url}/cookies`);
        const seen = await page.evaluate<string>("document.cookie");
        assert.match(seen, /visible=visible-value/);
        assert.doesNotMatch(seen, /secret/, "scripts cannot see the HttpOnly cookie");
        assert.equal(
          await page.locator("#document-cookie").textContent(),
          `document.cookie = ${JSON.stringify(seen)}`,
        );
        assert.equal(
          await page.locator('td[data-cookie="secret"]').textContent(),
          "hidden (HttpOnly)",
        );
        assert.equal(await page.locator('td[data-cookie="visible"]').textContent(), "visible");
        assert.ok(await page.getByText("secret-value").isVisible(), "the server saw it");

        // A refused choice is a message on the page, never a 500.
        await page.fill('#set input[name="name"]', "id");
        await page.selectOption('#set select[name="prefix"]', "__Host-");
        await page.fill('#set input[name="domain"]', "example.com");
        await page.setChecked('#set input[name="secure"]', true);
        const [response] = await Promise.all([
          page.waitForResponse((answer) => answer.url().endsWith("/cookies/set")),
          page.getByRole("button", { name: "Set cookie" }).click(),
        ]);
        assert.equal(response.status(), 400);
        assert.match((await page.getByRole("alert").textContent()) ?? "", /__Host- prefix/);
        await screenshot(page, fileName("sqlite", "en", "desktop", "cookies-refused"));
      } finally {
        await context.close();
      }
    });

    test("the language switch: one click, remembered across pages, and back", async () => {
      const context = await newContext({ locale: "en-US" });
      try {
        const page = await context.newPage();
        await page.goto(`${demo.url}/inspect`);
        assert.equal(await page.getAttribute("html", "lang"), "en");
        await Promise.all([
          page.waitForURL(`${demo.url}/inspect`),
          page.getByRole("link", { name: "中文" }).click(),
        ]);
        assert.equal(await page.getAttribute("html", "lang"), "zh-CN");
        assert.equal(await page.locator("h1").textContent(), "检查这个请求");
        await page.goto(`${demo.url}/guide`);
        assert.equal(
          await page.getAttribute("html", "lang"),
          "zh-CN",
          "remembered on the next page",
        );
        await Promise.all([
          page.waitForURL(`${demo.url}/guide`),
          page.getByRole("link", { name: "English" }).click(),
        ]);
        assert.equal(await page.getAttribute("html", "lang"), "en");
      } finally {
        await context.close();
      }
    });
  });

  test("SESSION_LIFETIME=2s: the countdown runs out, and a reload shows the session gone", async () => {
    const demo = await startDemo(mkdtempSync(join(tmpdir(), "tessera-browser-walk-")), {
      SECRET_KEY,
      SESSION_LIFETIME: "2s",
    });
    const context = await newContext({});
    try {
      const page = await context.newPage();
      await logIn(page, demo.url, "brief");
      assert.match((await page.locator("main").textContent()) ?? "", /Hello, brief/);
      // The page's own countdown says when; no fixed wait.
      await page.waitForFunction(
        'document.querySelector(".countdown")?.textContent === "expired: reload to see"',
        undefined,
        { timeout: 30_000 },
      );
      await page.reload();
      assert.match((await page.locator("main").textContent()) ?? "", /You are not logged in\./);
    } finally {
      await context.close();
      await demo.stop();
    }
  });
});
