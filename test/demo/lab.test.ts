import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { CookieClient } from "../support/client.ts";
import { serveDemo } from "./support.ts";

/** The lab's form, as a browser submits it: unticked boxes are absent. */
function form(fields: Record<string, string>): string {
  return new URLSearchParams({ path: "/", sameSite: "lax", ...fields }).toString();
}

describe("the cookie lab (/cookies)", () => {
  let demo: Awaited<ReturnType<typeof serveDemo>>;
  before(async () => {
    demo = await serveDemo();
  });
  after(() => demo.close());

  test("sets a cookie with the chosen attributes and shows the exact Set-Cookie line", async () => {
    const browser = new CookieClient(demo.url);
    const empty = await browser.get("/cookies");
    assert.match(empty.text, /This request carried no cookies\./);
    const set = await browser.post(
      "/cookies/set",
      form({ name: "user", value: "Ada Lovelace", maxAge: "604800", httpOnly: "on" }),
    );
    assert.equal(set.status, 200);
    assert.equal(set.setCookies.length, 1);
    const line = set.setCookies[0] ?? "";
    assert.match(
      line,
      /^user=Ada%20Lovelace; Max-Age=604800; Path=\/; Expires=[^;]+; HttpOnly; SameSite=Lax$/,
    );
    assert.ok(set.text.includes(`Set-Cookie: ${line}`), "the page shows the line it sent");
    const read = await browser.get("/cookies");
    assert.match(
      read.text,
      /<code>user<\/code><\/td><td data-label="value"><code>Ada Lovelace<\/code>/,
    );
    assert.match(read.text, /data-cookie="user"/, "the document.cookie check covers it");
  });

  test("Expires, Domain, Strict, no HttpOnly, Secure with Partitioned: each is one attribute", async () => {
    const browser = new CookieClient(demo.url);
    const set = await browser.post(
      "/cookies/set",
      form({
        name: "prefs",
        value: "dark",
        expires: "2030-01-02T03:04",
        path: "/app",
        domain: "example.com",
        sameSite: "strict",
        secure: "on",
        partitioned: "on",
      }),
    );
    assert.equal(set.status, 200);
    assert.equal(
      set.setCookies[0],
      "prefs=dark; Domain=example.com; Path=/app; Expires=Wed, 02 Jan 2030 03:04:00 GMT; Secure; Partitioned; SameSite=Strict",
    );
  });

  test("a browser-session cookie has neither Max-Age nor Expires", async () => {
    const set = await new CookieClient(demo.url).post(
      "/cookies/set",
      form({ name: "tab", value: "1" }),
    );
    assert.equal(set.setCookies[0], "tab=1; Path=/; SameSite=Lax");
  });

  test("deleting sends the cookie back empty with Max-Age=0", async () => {
    const browser = new CookieClient(demo.url);
    await browser.post("/cookies/set", form({ name: "user", value: "x" }));
    const deleted = await browser.post("/cookies/delete", "name=user");
    assert.equal(deleted.status, 200);
    assert.match(
      deleted.setCookies[0] ?? "",
      /^user=; Max-Age=0; Path=\/; Expires=Thu, 01 Jan 1970/,
    );
    assert.equal(browser.jar.has("user"), false);
  });

  for (const [what, fields, message] of [
    [
      "__Host- with a Domain",
      { prefix: "__Host-", name: "id", value: "1", domain: "example.com", secure: "on" },
      /has the __Host- prefix, which browsers accept only with Secure, Path=\/ and no Domain/,
    ],
    ["__Host- without Secure", { prefix: "__Host-", name: "id", value: "1" }, /__Host- prefix/],
    [
      "__Secure- without Secure",
      { prefix: "__Secure-", name: "id", value: "1" },
      /__Secure- prefix/,
    ],
    [
      "SameSite=None without Secure",
      { name: "x", value: "1", sameSite: "none" },
      /SameSite=None but is not Secure/,
    ],
    [
      "Partitioned without Secure",
      { name: "x", value: "1", partitioned: "on" },
      /Partitioned but not Secure/,
    ],
    [
      "a cookie over 4096 bytes",
      { name: "big", value: "x".repeat(5000) },
      /over the 4096-byte limit/,
    ],
    [
      "both Max-Age and Expires",
      { name: "x", value: "1", maxAge: "60", expires: "2030-01-01T00:00" },
      /both maxAge and expires/,
    ],
    [
      "a Max-Age that is not a number",
      { name: "x", value: "1", maxAge: "soon" },
      /Max-Age is a whole number of seconds/,
    ],
    ["no name", { name: "", value: "1" }, /Give the cookie a name/],
  ] as const) {
    test(`${what}: a 400 page says why, and nothing is sent`, async () => {
      const refused = await new CookieClient(demo.url).post("/cookies/set", form(fields));
      assert.equal(refused.status, 400);
      assert.match(refused.headers.get("content-type") ?? "", /^text\/html/);
      assert.match(refused.text, /class="error" role="alert"/);
      assert.match(refused.text, message);
      assert.deepEqual(refused.setCookies, []);
    });
  }

  test("the refusal is explained in Chinese on a Chinese page", async () => {
    const refused = await new CookieClient(demo.url).post(
      "/cookies/set",
      form({ name: "x", value: "1", sameSite: "none" }),
      { "accept-language": "zh-CN,zh;q=0.9" },
    );
    assert.equal(refused.status, 400);
    assert.match(refused.text, /没有设置 cookie：SameSite=None 的 cookie 必须带 Secure/);
  });

  test("a prefixed cookie that follows the rules is set, and deleting it says Secure", async () => {
    const browser = new CookieClient(demo.url);
    const set = await browser.post(
      "/cookies/set",
      form({ prefix: "__Host-", name: "id", value: "1", secure: "on", httpOnly: "on" }),
    );
    assert.equal(set.status, 200);
    assert.equal(set.setCookies[0], "__Host-id=1; Path=/; HttpOnly; Secure; SameSite=Lax");
    const deleted = await browser.post("/cookies/delete", "name=__Host-id");
    assert.match(deleted.setCookies[0] ?? "", /^__Host-id=; Max-Age=0; Path=\/; .*Secure/);
  });

  test("a signed cookie reads back as verified; changed by hand, it does not", async () => {
    const browser = new CookieClient(demo.url);
    const set = await browser.post(
      "/cookies/set",
      form({ name: "note", value: "hello", signed: "on" }),
    );
    assert.match(set.setCookies[0] ?? "", /^note=hello\.[\w-]{43}; Path=\//);
    const read = await browser.get("/cookies");
    assert.match(read.text, /signature verifies:<\/span> <code>hello<\/code>/);
    const signature = (browser.jar.get("note") ?? "").split(".")[1];
    browser.jar.set("note", `hullo.${signature}`);
    const forged = await browser.get("/cookies");
    assert.match(forged.text, /<code>hullo\.[\w-]{43}<\/code>/);
    assert.doesNotMatch(forged.text, /signature verifies/);
  });

  test("a value with markup is shown escaped", async () => {
    const browser = new CookieClient(demo.url);
    await browser.post("/cookies/set", form({ name: "user", value: "<script>alert(1)</script>" }));
    const read = await browser.get("/cookies");
    assert.doesNotMatch(read.text, /<script>alert/);
    assert.match(read.text, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
  });
});

describe("the lab's edges: forms from other sites, the session cookie, odd names, notes", () => {
  let demo: Awaited<ReturnType<typeof serveDemo>>;
  before(async () => {
    demo = await serveDemo();
  });
  after(() => demo.close());

  test("a form posted from another site is refused with 403, changing nothing", async () => {
    const client = new CookieClient(demo.url);
    for (const headers of [
      { "sec-fetch-site": "cross-site" },
      { "sec-fetch-site": "same-site" },
      { origin: "http://evil.example" },
      { origin: "null" },
    ]) {
      const refused = await client.post("/cookies/delete", "name=user", headers);
      assert.equal(refused.status, 403, JSON.stringify(headers));
      assert.deepEqual(refused.setCookies, []);
      assert.match(refused.text, /This form was sent from another site/);
      const logout = await client.post("/logout", "", headers);
      assert.equal(logout.status, 403);
      assert.deepEqual(logout.setCookies, [], "no cross-site logout");
    }
    const own = await client.post("/cookies/delete", "name=user", {
      "sec-fetch-site": "same-origin",
      origin: demo.url,
    });
    assert.equal(own.status, 200, "the site's own form");
  });

  test("the lab leaves the session cookie to the session", async () => {
    const client = new CookieClient(demo.url);
    for (const [path, body] of [
      ["/cookies/set", form({ name: "session", value: "x" })],
      ["/cookies/delete", "name=session"],
    ] as const) {
      const refused = await client.post(path, body);
      assert.equal(refused.status, 400);
      assert.match(refused.text, /The lab leaves the session cookie \(session\) alone/);
      assert.deepEqual(refused.setCookies, []);
    }
  });

  test("deleting a cookie whose name no Set-Cookie can carry is a 400 that says why", async () => {
    for (const name of ["a b", "a;b", "中"]) {
      const refused = await new CookieClient(demo.url).post(
        "/cookies/delete",
        `name=${encodeURIComponent(name)}`,
      );
      assert.equal(refused.status, 400, name);
      assert.match(refused.text, /The cookie was not deleted: /);
    }
  });

  test("delete takes the Path and Domain the cookie was set with", async () => {
    const deleted = await new CookieClient(demo.url).post(
      "/cookies/delete",
      "name=prefs&path=%2Fapp&domain=example.com",
    );
    assert.match(
      deleted.setCookies[0] ?? "",
      /^prefs=; Max-Age=0; Domain=example\.com; Path=\/app;/,
    );
  });

  test("Max-Age must be plain digits; over 400 days and past expiries get a note", async () => {
    const client = new CookieClient(demo.url);
    for (const maxAge of ["1e3", "0x10", "-5", "1.5"]) {
      const refused = await client.post("/cookies/set", form({ name: "x", value: "1", maxAge }));
      assert.equal(refused.status, 400, maxAge);
      assert.match(refused.text, /Max-Age is a whole number of seconds/);
    }
    const long = await client.post(
      "/cookies/set",
      form({ name: "x", value: "1", maxAge: "34560001" }),
    );
    assert.equal(long.status, 200);
    assert.match(long.text, /Browsers keep a cookie at most 400 days/);
    const past = await client.post(
      "/cookies/set",
      form({ name: "x", value: "1", expires: "2001-01-01T00:00" }),
    );
    assert.equal(past.status, 200);
    assert.match(past.text, /It expires at once/);
  });

  test("a cookie the browser sent as UTF-8 is shown as written", async () => {
    const page = await new CookieClient(demo.url).get("/cookies", { cookie: "ü=grüße" });
    assert.match(page.text, /<code>ü<\/code>/);
    assert.match(page.text, /<code>grüße<\/code>/);
    assert.match(page.text, /data-cookie="ü"/);
  });

  test("a Chinese page explains a refusal in Chinese", async () => {
    const refused = await new CookieClient(demo.url).post(
      "/cookies/set",
      form({ name: "x", value: "1", maxAge: "60", expires: "2030-01-01T00:00" }),
      { "accept-language": "zh" },
    );
    assert.match(refused.text, /没有设置 cookie：Max-Age 和 Expires 只能选一个/);
    assert.doesNotMatch(refused.text, /browsers/);
  });

  test("the usual refusals are explained in Chinese, and a refused delete says delete", async () => {
    const zh = { "accept-language": "zh" };
    const client = new CookieClient(demo.url);
    for (const [fields, text] of [
      [{ name: "a b", value: "1" }, /cookie 名称里有不允许的字符/],
      [{ name: "x", value: "1", path: "nope" }, /Path 必须以“\/”开头/],
      [{ name: "x", value: "1", domain: "exa mple.com" }, /Domain 必须是一个有效的主机名/],
    ] as const) {
      const refused = await client.post("/cookies/set", form(fields), zh);
      assert.equal(refused.status, 400);
      assert.match(refused.text, text);
      assert.doesNotMatch(refused.text, /原因如下（英文）/);
    }
    const del = await client.post("/cookies/delete", "name=a%20b", zh);
    assert.match(del.text, /没有删除 cookie：cookie 名称里有不允许的字符/);
    const delEn = await client.post("/cookies/delete", "name=a%20b");
    assert.match(delEn.text, /The cookie was not deleted: /);
  });

  test("an Expires more than 400 days ahead gets the 400-day note", async () => {
    const far = await new CookieClient(demo.url).post(
      "/cookies/set",
      form({ name: "x", value: "1", expires: "2099-01-01T00:00" }),
    );
    assert.equal(far.status, 200);
    assert.match(far.text, /Browsers keep a cookie at most 400 days/);
  });

  test("the session cookie's row has no Delete button, but a pointer to Inspect", async () => {
    const page = await new CookieClient(demo.url).get("/cookies", {
      cookie: "session=abc; user=x",
    });
    assert.equal(
      page.text.match(/action="\/cookies\/delete"><input type="hidden"/g)?.length,
      1,
      "user's only",
    );
    assert.match(page.text, /the session's: see Inspect/);
  });

  test("under /api/, a wrong method is a JSON 405 and a cross-site POST a JSON 403", async () => {
    const client = new CookieClient(demo.url);
    const post = await client.post("/api/me");
    assert.equal(post.status, 405);
    assert.equal(post.headers.get("allow"), "GET, HEAD");
    assert.match(post.headers.get("content-type") ?? "", /^application\/json/);
    const cross = await client.post("/api/me", "", { "sec-fetch-site": "cross-site" });
    assert.equal(cross.status, 403);
    assert.match(cross.headers.get("content-type") ?? "", /^application\/json/);
  });

  test("after a lab form, the language switch goes back to the lab, not to the POST", async () => {
    const set = await new CookieClient(demo.url).post(
      "/cookies/set",
      form({ name: "x", value: "1" }),
    );
    assert.match(set.text, /href="\/lang\?to=zh&amp;back=%2Fcookies"/);
  });

  test("a method a page does not answer is 405 with Allow", async () => {
    const client = new CookieClient(demo.url);
    const put = await client.request("PUT", "/");
    assert.equal(put.status, 405);
    assert.equal(put.headers.get("allow"), "GET, HEAD");
    const get = await client.get("/cookies/set");
    assert.equal(get.status, 405);
    assert.equal(get.headers.get("allow"), "POST");
    assert.equal((await client.get("/no-such-page")).status, 404);
  });
});
