/**
 * The defects an attacker's and a busy operator's look at tessera found (issue 12), each pinned
 * by a test that fails without its fix: emptied sessions that lingered, nesting that decoded but
 * could not be written back, same-name cookies that each cost a store round trip, quoted cookie
 * values Flask accepts, configuration mistakes, and the Clear-Site-Data option.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createCipheriv, randomBytes } from "node:crypto";
import { describe, test } from "node:test";
import { base64Encode } from "../../src/codecs/flask/base64.ts";
import { encodeFlaskSession } from "../../src/codecs/flask/index.ts";
import { TimestampSigner } from "../../src/codecs/flask/signer.ts";
import { MAX_NESTING } from "../../src/codecs/nesting.ts";
import { SealKeys, sealSession } from "../../src/codecs/sealed/index.ts";
import { formatToken, IV_BYTES, TAG_BYTES, tokenHeader } from "../../src/codecs/sealed/token.ts";
import { parseCookieHeader } from "../../src/cookies/parse.ts";
import { createSessions } from "../../src/engine/manager.ts";
import type { SessionOptions } from "../../src/engine/options.ts";
import {
  ConfigError,
  SessionValueError,
  StoreUnavailableError,
  TesseraError,
} from "../../src/errors.ts";
import type { SessionStore } from "../../src/stores/contract.ts";
import { memoryStore } from "../../src/stores/memory.ts";
import { MAX_SESSION_COOKIE_CANDIDATES } from "../../src/transport/session-cookie.ts";
import { CountingStore } from "../support/counting-store.ts";
import { engineRequest } from "../support/engine-request.ts";

const secret = "hardening-test-secret-0123456789abcdef";

/** `[[[…"x"…]]]`, `depth` arrays deep. */
function nested(depth: number): unknown {
  let value: unknown = "x";
  for (let level = 0; level < depth; level++) value = [value];
  return value;
}

describe("a session that ends up empty writes nothing and clears its cookie", () => {
  test("the last flash read: the record goes, the cookie is cleared", async () => {
    const store = new CountingStore(memoryStore());
    const sessions = createSessions({ secret, store });
    const login = await engineRequest(sessions, undefined, (session) => {
      session.flash("You are logged out everywhere.");
    });
    const id = login.session.id;
    assert.notEqual(await store.inner.get(id), undefined);
    store.reset();
    const next = await engineRequest(sessions, login.cookie, (session) => {
      assert.equal(session.consumeFlashes().length, 1);
    });
    assert.equal(await store.inner.get(id), undefined, "no record holding nothing");
    assert.match(next.headers.setCookie[0] ?? "", /^session=; Max-Age=0/);
    assert.equal(store.calls.apply, 0, "nothing written");
    // The browser's next request costs nothing at all.
    store.reset();
    const after = await engineRequest(sessions, undefined, (session) => session.get("user"));
    assert.deepEqual(after.headers.setCookie, []);
    assert.equal(store.calls.get + store.writes, 0);
  });

  test("every key deleted, and a record left empty by an older version, end the same way", async () => {
    const store = memoryStore();
    const sessions = createSessions({ secret, store });
    const login = await engineRequest(sessions, undefined, (session) => session.set("user", "ada"));
    const logout = await engineRequest(sessions, login.cookie, (session) => session.delete("user"));
    assert.equal(await store.get(login.session.id), undefined);
    assert.match(logout.headers.setCookie[0] ?? "", /^session=; Max-Age=0/);

    // An empty record (as "log out everywhere" used to leave): read once, then gone.
    const again = await engineRequest(sessions, undefined, (session) => session.set("user", "bob"));
    await store.apply(
      again.session.id,
      { clear: true, set: new Map(), delete: new Set() },
      { createdAt: Date.now(), expiresAt: Date.now() + 60_000, mustExist: true },
    );
    const read = await engineRequest(sessions, again.cookie, (session) => session.get("user"));
    assert.equal(await store.get(again.session.id), undefined);
    assert.match(read.headers.setCookie[0] ?? "", /^session=; Max-Age=0/);
  });
});

describe("nesting: what decodes can always be written back", () => {
  /** A Flask cookie signed with the secret whose payload is `json`, however deep. */
  function signedFlaskCookie(json: string): string {
    const signer = new TimestampSigner({
      secrets: secret,
      salt: "cookie-session",
      keyDerivation: "hmac",
      digest: "sha1",
    });
    return signer.sign(base64Encode(Buffer.from(json, "utf8")));
  }

  test("a correctly signed Flask cookie nested 100,000 levels deep is a bad cookie, not a 500", async () => {
    const sessions = createSessions({ secret, format: "flask" });
    const deep = `{"v":${"[".repeat(100_000)}${"]".repeat(100_000)}}`;
    const cookie = `session=${signedFlaskCookie(deep)}`;
    const read = await engineRequest(sessions, cookie, (session) => {
      assert.deepEqual(session.toJSON(), {}, "an empty session");
      session.set("user", "ada");
    });
    assert.match(read.cookie ?? "", /^session=/, "the next write succeeds");
  });

  test("a Flask cookie exactly at the limit decodes and re-signs", async () => {
    const sessions = createSessions({ secret, format: "flask" });
    const json = `{"v":${"[".repeat(MAX_NESTING - 1)}${"]".repeat(MAX_NESTING - 1)}}`;
    const read = await engineRequest(sessions, `session=${signedFlaskCookie(json)}`, (session) => {
      assert.ok(session.has("v"));
      session.set("more", 1);
    });
    assert.match(read.cookie ?? "", /^session=/);
  });

  test("encodeFlaskSession refuses deeper nesting with a TesseraError naming the key", () => {
    for (const depth of [MAX_NESTING, 5_000, 100_000]) {
      assert.throws(
        () => encodeFlaskSession({ deep: nested(depth) as never }, { secrets: secret }),
        (error: unknown) =>
          error instanceof SessionValueError &&
          error instanceof TesseraError &&
          /value\["deep"\]/.test(error.message) &&
          /512 levels/.test(error.message),
      );
    }
    // One level less fits: the session dict is the first level.
    encodeFlaskSession({ deep: nested(MAX_NESTING - 1) as never }, { secrets: secret });
  });

  test("sealed cookies: the sealer refuses, and a sealed token nested deeper opens to nothing", async () => {
    const keys = new SealKeys(secret);
    assert.throws(
      () =>
        sealSession(
          { deep: nested(MAX_NESTING) as never },
          { keys, expiresAt: Date.now() + 60_000 },
        ),
      SessionValueError,
    );
    // Sealed by hand with the right key, as a holder of the secret could.
    const plaintext = `{"e":${Math.ceil(Date.now() / 1000) + 60},"d":{"v":${"[".repeat(20_000)}${"]".repeat(20_000)}}}`;
    const { id, key } = keys.newest;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv("aes-256-gcm", key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(tokenHeader(id), "ascii"));
    const ciphertext = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
    const token = formatToken(id, iv, ciphertext, cipher.getAuthTag());
    const sessions = createSessions({ secret, format: "sealed" });
    const read = await engineRequest(sessions, `session=${token}`, (session) => {
      assert.deepEqual(session.toJSON(), {});
      session.set("user", "ada");
    });
    assert.match(read.cookie ?? "", /^session=v1\./);
  });

  test("stored sessions: a value nested past the limit is refused at commit, the record untouched", async () => {
    const store = memoryStore();
    const sessions = createSessions({ secret, store });
    const login = await engineRequest(sessions, undefined, (session) => session.set("user", "ada"));
    const scope = sessions.begin({ cookieHeader: login.cookie, encrypted: false });
    (await scope.session()).set("deep", nested(MAX_NESTING) as never);
    await assert.rejects(async () => scope.commit(200), SessionValueError);
    assert.deepEqual((await store.get(login.session.id))?.data, { user: "ada" });
    // At the limit (the record's own object is the first level) it is kept.
    await engineRequest(sessions, login.cookie, (session) => {
      session.set("deep", nested(MAX_NESTING - 1) as never);
    });
    assert.ok((await store.get(login.session.id))?.data.deep);
  });
});

describe("same-name cookies are capped", () => {
  test(`163 validly signed dead ids cost at most ${MAX_SESSION_COOKIE_CANDIDATES} store reads`, async () => {
    const store = new CountingStore(memoryStore());
    const sessions = createSessions({ secret, store });
    const dead: string[] = [];
    for (let index = 0; index < 163; index++) {
      const login = await engineRequest(sessions, undefined, (session) => session.set("n", index));
      dead.push(login.cookie ?? "");
      await store.inner.destroy(login.session.id);
    }
    store.reset();
    const read = await engineRequest(sessions, dead.join("; "), (session) => session.get("n"));
    assert.equal(read.session.isNew, true);
    assert.equal(store.calls.get, MAX_SESSION_COOKIE_CANDIDATES);
  });

  test("junk values do not count against the store's cap: a live session after 12 is found", async () => {
    const store = memoryStore();
    const sessions = createSessions({ secret, store });
    const live = await engineRequest(sessions, undefined, (session) => session.set("user", "ada"));
    const junk = Array.from({ length: 12 }, (_, index) => `session=junk${index}.x`);
    const read = await engineRequest(sessions, [...junk, live.cookie].join("; "), (session) =>
      session.get("user"),
    );
    assert.equal(read.session.get("user"), "ada");
  });

  test("a live session within the cap is still found behind planted dead ones", async () => {
    const store = memoryStore();
    const sessions = createSessions({ secret, store });
    const dead = await engineRequest(sessions, undefined, (session) =>
      session.set("user", "mallory"),
    );
    await store.destroy(dead.session.id);
    const live = await engineRequest(sessions, undefined, (session) => session.set("user", "ada"));
    const header = [dead.cookie, dead.cookie, live.cookie].join("; ");
    const read = await engineRequest(sessions, header, (session) => session.get("user"));
    assert.equal(read.session.get("user"), "ada");
  });
});

describe("quoted cookie values are read as werkzeug reads them", () => {
  test("a quoted session cookie is the same session", async () => {
    const sessions = createSessions({ secret, store: memoryStore() });
    const login = await engineRequest(sessions, undefined, (session) => session.set("user", "ada"));
    const [name, value] = (login.cookie ?? "").split("=") as [string, string];
    const read = await engineRequest(sessions, `${name}="${value}"`, (session) =>
      session.get("user"),
    );
    assert.equal(read.session.get("user"), "ada");
    assert.deepEqual(read.headers.setCookie, [], "no cookie to replace: it was valid");
  });

  test("the Cookie header parses as werkzeug's parse_cookie for quoted values", () => {
    const headers = [
      'session="abc.def"',
      'a="x\\"y"; b="\\303\\251t\\351"; c=""; d="a',
      'q="a\\\\b"; r="\\x"; s=" spaced "; t="1";u=2',
    ];
    const python = execFileSync(
      "/usr/bin/python3",
      [
        "-c",
        "import json,sys\nfrom werkzeug.http import parse_cookie\nprint(json.dumps([dict(parse_cookie(h)) for h in json.load(sys.stdin)]))",
      ],
      { input: JSON.stringify(headers) },
    );
    const expected = JSON.parse(python.toString()) as Record<string, string>[];
    headers.forEach((header, index) => {
      assert.deepEqual({ ...parseCookieHeader(header) }, expected[index], header);
    });
  });
});

describe("configuration mistakes are ConfigErrors at startup that name the value and the fix", () => {
  const store = memoryStore();
  const mistakes: [string, Record<string, unknown>, RegExp][] = [
    ["a lifetime of zero", { lifetime: 0 }, /lifetime must be at least one second; got 0/],
    ["a negative lifetime", { lifetime: -5 }, /lifetime must be a non-negative number.*got -5/],
    ["a lifetime that is not a duration", { lifetime: "forever" }, /"forever" is not a duration/],
    [
      "an absolute lifetime shorter than the idle one",
      { lifetime: "1h", absoluteLifetime: "30m" },
      /absoluteLifetime \(30m\) is shorter than lifetime \(1h\).*at least as long/,
    ],
    [
      "SameSite=None without Secure",
      { cookie: { sameSite: "none", secure: false } },
      /SameSite=None but is not Secure/,
    ],
    [
      "__Host- with a Domain",
      { cookie: { name: "__Host-session", domain: "example.com" } },
      /__Host- prefix.*no Domain/,
    ],
    ["a secret that is too short", { secret: "short" }, /5 bytes; at least 24.*npx tessera secret/],
    [
      "a misspelt option",
      { lifeTime: "1h" },
      /Unknown session option "lifeTime"; did you mean "lifetime"\?/,
    ],
    [
      "a misspelt cookie option",
      { cookie: { httponly: true } },
      /Unknown session option "cookie.httponly"; did you mean "cookie.httpOnly"\?/,
    ],
    [
      "an unknown Clear-Site-Data directive",
      { clearSiteData: ["cookie"] },
      /clearSiteData must be true, false or a list of/,
    ],
  ];
  for (const [what, options, message] of mistakes) {
    test(what, () => {
      assert.throws(
        () => createSessions({ secret, store, ...options } as unknown as SessionOptions),
        (error: unknown) => error instanceof ConfigError && message.test(error.message),
      );
    });
  }
});

describe("the clearSiteData option", () => {
  async function logout(options: Partial<SessionOptions>, andBegin = false) {
    const sessions = createSessions({ secret, store: memoryStore(), ...options } as SessionOptions);
    const login = await engineRequest(sessions, undefined, (session) => session.set("user", "ada"));
    const read = await engineRequest(sessions, login.cookie, (session) => session.get("user"));
    assert.equal(read.headers.clearSiteData, undefined, "only at a logout");
    return engineRequest(sessions, login.cookie, (session) => {
      session.destroy();
      if (andBegin) session.set("guest", true);
    });
  }

  test("off by default", async () => {
    assert.equal((await logout({})).headers.clearSiteData, undefined);
  });

  test("true sends OWASP's three directives on the response that destroys the session", async () => {
    const ended = await logout({ clearSiteData: true });
    assert.equal(ended.headers.clearSiteData, '"cache", "cookies", "storage"');
    assert.match(ended.headers.setCookie[0] ?? "", /Max-Age=0/);
  });

  test("a list sends those directives; a new session begun in the same response sends none", async () => {
    assert.equal((await logout({ clearSiteData: ["storage"] })).headers.clearSiteData, '"storage"');
    assert.equal((await logout({ clearSiteData: true }, true)).headers.clearSiteData, undefined);
  });

  test("cookie sessions send it too", async () => {
    const ended = await logout({
      format: "sealed",
      store: undefined,
      clearSiteData: ["cookies"],
    } as never);
    assert.equal(ended.headers.clearSiteData, '"cookies"');
  });
});

describe("a write abandoned at its deadline cannot undo a later acknowledged one", () => {
  test("writes to one session leave this process in order, even past a deadline", async () => {
    const inner = memoryStore();
    let stall: Promise<void> | undefined;
    // A real store whose next write stalls, as a pooled connection behind a slow link does:
    // the request gives up at its deadline, but the write still lands afterwards.
    const store: SessionStore = Object.create(inner, {
      apply: {
        value: (...args: Parameters<SessionStore["apply"]>) => {
          if (stall === undefined) return inner.apply(...args);
          const landing = stall.then(() => inner.apply(...args));
          stall = undefined;
          return landing;
        },
      },
    });
    const sessions = createSessions({ secret, store, storeTimeout: "100ms" });
    const login = await engineRequest(sessions, undefined, (session) => session.set("count", 1));
    let released!: () => void;
    stall = new Promise<void>((resolve) => {
      released = resolve;
    });
    const acknowledged: number[] = [];
    async function increment(value: number): Promise<void> {
      const scope = sessions.begin({ cookieHeader: login.cookie, encrypted: false });
      (await scope.session()).set("count", value);
      try {
        await scope.commit(200);
        acknowledged.push(value);
      } catch (error) {
        assert.ok(error instanceof StoreUnavailableError, String(error));
      }
    }
    await increment(2); // stalls past its deadline: a 503
    await increment(3); // must not be applied before the stalled write has landed
    released();
    await new Promise((resolve) => setTimeout(resolve, 50));
    await increment(4);
    const stored = (await inner.get(login.session.id))?.data.count;
    assert.equal(stored, acknowledged.at(-1), `acknowledged ${acknowledged.join(", ")}`);
  });
});

test("format flask-session: a cookie signed with an older secret is accepted and re-issued with the newest", async () => {
  const store = memoryStore();
  const old = `${secret}-old`;
  const before = createSessions({ secret: old, format: "flask-session", store });
  const login = await engineRequest(before, undefined, (session) => session.set("user", "ada"));
  const rotated = createSessions({ secret: [secret, old], format: "flask-session", store });
  const read = await engineRequest(rotated, login.cookie, (session) => session.get("user"));
  assert.equal(read.session.get("user"), "ada");
  assert.ok(read.cookie !== undefined && read.cookie !== login.cookie, "re-issued");
  const newestOnly = createSessions({ secret, format: "flask-session", store });
  const after = await engineRequest(newestOnly, read.cookie, (session) => session.get("user"));
  assert.equal(after.session.get("user"), "ada", "the new cookie verifies with the newest alone");
  const again = await engineRequest(rotated, read.cookie, (session) => session.get("user"));
  assert.deepEqual(again.headers.setCookie, [], "re-issued once");
});
