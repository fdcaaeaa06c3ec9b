import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Lang } from "../../demo/i18n.ts";
import { type GuideSetup, guidePage } from "../../demo/pages/guide.ts";

const SQLITE: GuideSetup = { format: "id", storeDescription: "sqlite at data/sessions.db" };

/** Chinese characters and full-width punctuation: what must not leak into the English page. */
const CJK = /[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]/;

/** The five steps, in the walkthrough's order, with what each column must show and where it links. */
const STEPS = [
  {
    id: "cookies",
    flask: ["set_cookie", "request.cookies.get", "delete_cookie"],
    tessera: [
      'cookies.set("user"',
      'cookies.get("user")',
      'cookies.delete("user")',
      "tessera/node",
    ],
    links: ["/cookies"],
  },
  {
    id: "session",
    flask: ["app.secret_key", 'session["username"]'],
    tessera: ["createSessions", "withSessions", 's.set("username"'],
    links: ["/inspect"],
  },
  {
    id: "redis",
    flask: [
      'SESSION_TYPE="redis"',
      "SESSION_REDIS",
      "SESSION_PERMANENT",
      "PERMANENT_SESSION_LIFETIME",
      "SESSION_USE_SIGNER",
      "SESSION_KEY_PREFIX",
    ],
    tessera: ["redisStore(", 'prefix: "session:"', "tessera/redis"],
    links: ["/inspect"],
  },
  {
    id: "login",
    flask: [
      'request.form["username"]',
      'session["username"] = name',
      "session.pop",
      "session.clear()",
    ],
    tessera: ["s.regenerate()", "s.destroy()", 's.delete("username")'],
    links: ["/login"],
  },
  {
    id: "inspect",
    flask: ["redis-cli keys '*'", "redis-cli get", "redis-cli ttl"],
    tessera: [
      "redis-cli hgetall",
      "redis-cli ttl",
      "npx tessera sessions list",
      "--store sqlite:data/sessions.db",
      "npx tessera decode COOKIE",
    ],
    links: ["/inspect", "/sessions"],
  },
] as const;

/** What one code column of the grid holds at the page's full width (60rem, .85rem mono). */
const CODE_COLUMNS = 50;

/** The width of a line in a monospace font: a CJK character takes two columns. */
function columns(line: string): number {
  let width = 0;
  for (const char of line) width += CJK.test(char) ? 2 : 1;
  return width;
}

function render(lang: Lang, setup: GuideSetup = SQLITE): string {
  return guidePage({ lang, path: "/guide" }, setup);
}

/** What is between <body> and </body>: the page itself, without the head. */
function bodyOf(html: string): string {
  const start = html.indexOf("<body>");
  const end = html.indexOf("</body>");
  assert.ok(start !== -1 && end > start, "the page has a body");
  return html.slice(start, end);
}

/** One step's <li>, by its id. */
function stepOf(html: string, id: string): string {
  const match = new RegExp(`<li id="${id}">([\\s\\S]*?)</li>`).exec(html);
  assert.ok(match?.[1], `step ${id} is present`);
  return match[1];
}

function decodeHtml(html: string): string {
  return html
    .replaceAll("&lt;", "<")
    .replaceAll("&gt;", ">")
    .replaceAll("&quot;", '"')
    .replaceAll("&#39;", "'")
    .replaceAll("&amp;", "&");
}

/** The text of a step's Flask and tessera columns, unescaped. */
function columnsOf(step: string): { flask: string; tessera: string } {
  const grid =
    /<div class="grid">\n<div><h3>Flask<\/h3><pre><code>([\s\S]*?)<\/code><\/pre><\/div>\n<div><h3>tessera<\/h3><pre><code>([\s\S]*?)<\/code><\/pre><\/div>\n<\/div>/.exec(
      step,
    );
  assert.ok(grid?.[1] && grid[2], "a grid of two columns, Flask then tessera");
  return { flask: decodeHtml(grid[1]), tessera: decodeHtml(grid[2]) };
}

function headingsOf(html: string, tag: "h1" | "h2" | "h3"): string[] {
  return [...html.matchAll(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, "g"))].map(
    (m) => m[1] ?? "",
  );
}

describe("the /guide page", () => {
  for (const lang of ["en", "zh"] as const) {
    test(`${lang}: the five steps, in order, each with both code columns and its live link`, () => {
      const html = render(lang);
      assert.match(html, /<ol class="steps">/);
      let previous = -1;
      for (const expected of STEPS) {
        const at = html.indexOf(`<li id="${expected.id}">`);
        assert.ok(at > previous, `step ${expected.id} comes after the one before it`);
        previous = at;
        const step = stepOf(html, expected.id);
        assert.match(
          step,
          /^<section class="card">\n<h2>[^<]+<\/h2>/,
          "a card opening with its h2",
        );
        const { flask, tessera } = columnsOf(step);
        for (const text of expected.flask) assert.ok(flask.includes(text), `Flask shows ${text}`);
        for (const text of expected.tessera) {
          assert.ok(tessera.includes(text), `tessera shows ${text}`);
        }
        for (const href of expected.links) {
          assert.ok(step.includes(`<a href="${href}">`), `step ${expected.id} links to ${href}`);
        }
        assert.match(step, /<p class="explain">[\s\S]{40,}<\/p>/, "an explanation");
      }
      assert.equal(html.match(/<li id=/g)?.length, STEPS.length);
    });
  }

  test("English headings have no Chinese; every Chinese step heading does", () => {
    const en = bodyOf(render("en"));
    for (const heading of [
      ...headingsOf(en, "h1"),
      ...headingsOf(en, "h2"),
      ...headingsOf(en, "h3"),
    ]) {
      assert.doesNotMatch(heading, CJK, heading);
    }
    // The English page's own text has no Chinese at all (only the switch offers 中文).
    const main = en.slice(en.indexOf("<main>"), en.indexOf("</main>"));
    assert.doesNotMatch(main, CJK);

    const zh = bodyOf(render("zh"));
    const titles = [...headingsOf(zh, "h1"), ...headingsOf(zh, "h2")];
    assert.equal(titles.length, 1 + STEPS.length);
    for (const heading of titles) assert.match(heading, CJK, heading);
    for (const explain of zh.matchAll(/<p class="explain">([\s\S]*?)<\/p>/g)) {
      assert.match(explain[1] ?? "", CJK, "explanations are translated");
    }
  });

  test("the Redis step says how to run the demo on Redis, on PostgreSQL and with Flask's cookie", () => {
    for (const lang of ["en", "zh"] as const) {
      const step = decodeHtml(stepOf(render(lang), "redis"));
      assert.ok(step.includes("SESSION_STORE=redis://127.0.0.1:6379 npm start"));
      assert.ok(
        step.includes("SESSION_STORE=postgres://postgres@127.0.0.1:5432/postgres npm start"),
      );
      assert.ok(step.includes("SESSION_STORE=cookie:flask npm start"));
    }
  });

  test("every link stays on the demo", () => {
    const allowed = new Set(["/cookies", "/inspect", "/login", "/sessions", "/guide", "/"]);
    for (const lang of ["en", "zh"] as const) {
      const hrefs = [...bodyOf(render(lang)).matchAll(/href="([^"]*)"/g)].map((m) => m[1] ?? "");
      assert.ok(hrefs.length > STEPS.length);
      for (const href of hrefs) {
        assert.ok(allowed.has(href) || href.startsWith("/lang?"), `unexpected link ${href}`);
      }
    }
  });

  test("the run's store is shown at the top, escaped", () => {
    assert.match(render("en"), /<strong>sqlite at data\/sessions\.db<\/strong>/);
    const hostile = render("zh", {
      format: "id",
      storeDescription: "<script>alert(1)</script> & co",
    });
    assert.ok(hostile.includes("&lt;script&gt;alert(1)&lt;/script&gt; &amp; co"));
    assert.doesNotMatch(hostile, /<script/);
  });

  test("each format says what the cookie holds in this run", () => {
    const id = render("en", SQLITE);
    const flask = render("en", {
      format: "flask",
      storeDescription: "in the cookie, Flask's format",
    });
    const sealed = render("en", { format: "sealed", storeDescription: "in the cookie, sealed" });
    assert.match(id, /holds only a signed id/);
    assert.match(flask, /Flask's own signed cookie/);
    assert.match(sealed, /encrypted cookie/);
  });

  test("the inspecting step names the tessera command whole", () => {
    for (const lang of ["en", "zh"] as const) {
      const step = decodeHtml(stepOf(render(lang), "inspect"));
      assert.ok(step.includes("npx tessera sessions list --store sqlite:data/sessions.db"));
      assert.ok(step.includes("npx tessera decode COOKIE"));
    }
  });

  test("code lines fit their column, so none breaks mid-word at full width", () => {
    for (const lang of ["en", "zh"] as const) {
      const html = render(lang);
      for (const expected of STEPS) {
        const { flask, tessera } = columnsOf(stepOf(html, expected.id));
        for (const line of `${flask}\n${tessera}`.split("\n")) {
          assert.ok(columns(line) <= CODE_COLUMNS, `${lang} ${expected.id}: ${line}`);
        }
      }
    }
  });

  test("every <pre> holds escaped text only", () => {
    for (const lang of ["en", "zh"] as const) {
      const pres = [...render(lang).matchAll(/<pre>([\s\S]*?)<\/pre>/g)].map((m) => m[1] ?? "");
      assert.equal(pres.length, STEPS.length * 2 + 1, "two columns a step, and the run commands");
      for (const pre of pres) {
        const inner = pre.replace(/^<code>/, "").replace(/<\/code>$/, "");
        assert.ok(!inner.includes("<"), `unescaped < in ${inner.slice(0, 80)}`);
      }
      // Code that is full of angle brackets comes through whole once unescaped.
      assert.ok(
        decodeHtml(render(lang)).includes('<form method="post">\n  <input name="username">'),
      );
    }
  });
});
