import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import {
  decodeFlaskSession,
  encodeFlaskSession,
  FlaskTuple,
  type FlaskValue,
  Markup,
} from "../../src/codecs/flask/index.ts";
import { SealKeys, sealSession } from "../../src/codecs/sealed/index.ts";
import { createSessions, type SessionManager } from "../../src/engine/manager.ts";
import type { CookieSessionOptions } from "../../src/engine/options.ts";
import { ConfigError } from "../../src/errors.ts";
import type { SessionValue } from "../../src/session/session.ts";
import { memoryStore } from "../../src/stores/memory.ts";
import { flaskData, readBack } from "../codecs/flask-arbitraries.ts";

const SECRET = "cookie-engine-test-secret-0123456789abcdef";

type Manager = SessionManager<Record<string, SessionValue>>;

function manager(format: CookieSessionOptions["format"]): Manager {
  return createSessions({ secret: SECRET, format });
}

/** Runs one request: `change` edits the session; returns the session cookie value sent, if any. */
async function request(
  sessions: Manager,
  cookie: string | undefined,
  change: (
    session: Awaited<ReturnType<ReturnType<Manager["begin"]>["session"]>>,
  ) => void = () => {},
): Promise<{ data: Record<string, unknown>; setCookie: string | undefined }> {
  const scope = sessions.begin({
    cookieHeader: cookie === undefined ? undefined : `session=${cookie}`,
    encrypted: false,
  });
  const session = await scope.session();
  const data = Object.fromEntries(session.entries());
  change(session);
  const headers = await scope.commit();
  const header = headers.setCookie.find((line) => line.startsWith("session="));
  return { data, setCookie: header?.split(";")[0]?.slice("session=".length) };
}

/** Session keys the application may use (tessera keeps `_permanent` and `_flashes` itself). */
const userData = flaskData.map((data) => {
  const result: Record<string, FlaskValue> = {};
  for (const [key, value] of Object.entries(data)) {
    // session.set takes the values every format and store keeps; a Python int beyond 2^53
    // (a bigint) is kept when Flask wrote it, and set only inside a list or dict.
    if (key !== "_permanent" && key !== "_flashes" && key !== "" && typeof value !== "bigint") {
      Object.defineProperty(result, key, {
        value,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
  }
  return result;
});

/** JSON-safe data for the sealed format. */
const jsonData = fc.dictionary(
  fc
    .string({ maxLength: 8 })
    .filter((key) => key !== "_permanent" && key !== "_flashes" && key !== ""),
  fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.parse(JSON.stringify(value)) as SessionValue),
  { maxKeys: 6 },
);

for (const format of ["flask", "sealed"] as const) {
  describe(`cookie sessions in the engine, format "${format}"`, () => {
    const sessions = manager(format);

    test("every single-character change of one cookie gives an empty session (exhaustive)", async () => {
      const { setCookie } = await request(sessions, undefined, (session) => {
        session.set("user", "alice").set("roles", ["admin", "dev"]).set("n", 42);
      });
      assert.ok(setCookie);
      assert.deepEqual((await request(sessions, setCookie)).data, {
        user: "alice",
        roles: ["admin", "dev"],
        n: 42,
      });
      // Every printable ASCII character at every position, the cookie-safe alphabet included.
      const alphabet = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)).filter(
        (char) => char !== ";" && char !== " " && char !== ",",
      );
      let tried = 0;
      for (let index = 0; index < setCookie.length; index++) {
        for (const char of alphabet) {
          if (char === setCookie[index]) continue;
          const altered = setCookie.slice(0, index) + char + setCookie.slice(index + 1);
          const { data } = await request(sessions, altered);
          assert.deepEqual(data, {}, `position ${index} → ${JSON.stringify(char)}`);
          tried++;
        }
      }
      assert.ok(tried > setCookie.length * 80);
    });

    test("any edit of a cookie (property): replaced, inserted, deleted or cut characters give an empty session", async () => {
      await fc.assert(
        fc.asyncProperty(
          jsonData,
          fc.array(
            fc.record({
              kind: fc.constantFrom("replace", "insert", "delete", "truncate"),
              at: fc.nat(),
              char: fc.constantFrom(..."ABCabc019-_.~!".split("")),
            }),
            { minLength: 1, maxLength: 3 },
          ),
          async (data, edits) => {
            const { setCookie } = await request(sessions, undefined, (session) => {
              session.set("marker", "x");
              for (const [key, value] of Object.entries(data)) session.set(key, value);
            });
            assert.ok(setCookie);
            let altered = setCookie;
            for (const edit of edits) {
              const at = edit.at % (altered.length + 1);
              if (edit.kind === "replace")
                altered = altered.slice(0, at) + edit.char + altered.slice(at + 1);
              else if (edit.kind === "insert")
                altered = altered.slice(0, at) + edit.char + altered.slice(at);
              else if (edit.kind === "delete")
                altered = altered.slice(0, at) + altered.slice(at + 1);
              else altered = altered.slice(0, at);
            }
            fc.pre(altered !== setCookie);
            const { data: read } = await request(sessions, altered);
            assert.deepEqual(read, {});
          },
        ),
        { numRuns: 300 },
      );
    });

    test("arbitrary data round-trips through the cookie (property)", async () => {
      const arbitrary = format === "flask" ? userData : jsonData;
      await fc.assert(
        fc.asyncProperty(arbitrary, async (data) => {
          fc.pre(Object.keys(data).length > 0);
          let written: string | undefined;
          try {
            written = (
              await request(sessions, undefined, (session) => {
                for (const [key, value] of Object.entries(data))
                  session.set(key, value as SessionValue);
              })
            ).setCookie;
          } catch (error) {
            // Data too big for one cookie is refused with the size; nothing else may fail.
            assert.match(String(error), /4096-byte limit/);
            return;
          }
          assert.ok(written);
          const { data: read } = await request(sessions, written);
          assert.deepStrictEqual(
            read,
            format === "flask" ? readBack(data as FlaskValue) : JSON.parse(JSON.stringify(data)),
          );
        }),
        { numRuns: 200 },
      );
    });

    test("a session over the cookie limit is a CookieError at commit naming the size and the keys", async () => {
      const scope = sessions.begin({ cookieHeader: undefined, encrypted: false });
      const session = await scope.session();
      // Pseudo-random text: zlib cannot shrink it below the limit.
      let noise = "";
      for (let i = 0; noise.length < 6_000; i++)
        noise += ((i * 2654435761) % 4294967296).toString(36);
      session.set("user", "alice").set("blob", noise);
      assert.throws(
        () => scope.commit(),
        (error: Error) =>
          error.name === "CookieError" &&
          /would make a Set-Cookie header of \d+ bytes, over the 4096-byte limit/.test(
            error.message,
          ) &&
          /"blob" \(\d+ bytes as JSON\)/.test(error.message),
      );
    });

    test("a store alongside a cookie format is a ConfigError", () => {
      assert.throws(
        () =>
          createSessions({
            secret: SECRET,
            format,
            // A JavaScript caller can pass one; the types forbid it.
            ...({ store: memoryStore() } as object),
          } as CookieSessionOptions),
        (error: Error) => error instanceof ConfigError && /takes no store/.test(error.message),
      );
    });
  });
}

test("an unknown format is a ConfigError naming the choices", () => {
  assert.throws(
    () => createSessions({ secret: SECRET, format: "pickle" as "flask" }),
    /format must be one of "id", "flask-session", "flask", "sealed"; got "pickle"/,
  );
});

test("Flask's format reads a missing _permanent as not permanent, and writes it when permanent", async () => {
  const sessions = manager("flask");
  const { setCookie } = await request(sessions, undefined, (session) => session.set("a", 1));
  assert.ok(setCookie);
  const payload = Buffer.from(
    (setCookie.split(".")[0] ?? "").replace(/^\./, ""),
    "base64url",
  ).toString();
  assert.match(
    payload,
    /"_permanent":true/,
    "a new permanent session carries the flag, as Flask's",
  );
  const scope = sessions.begin({ cookieHeader: `session=${setCookie}`, encrypted: false });
  assert.equal((await scope.session()).permanent, true);
});

describe("Flask's format: what a Flask app put in the cookie", () => {
  const OLD = "cookie-engine-test-older-secret-0123456789";
  test("Markup flashes are read (as HTML), and entries tessera cannot read are kept until all are consumed", async () => {
    const sessions = manager("flask");
    const cookie = encodeFlaskSession(
      {
        _permanent: true,
        _flashes: [
          new FlaskTuple(["info", new Markup('Saved. <a href="/undo">Undo</a>')]),
          new FlaskTuple(["message", "Welcome"]),
          new FlaskTuple(["custom", 42]),
        ],
      },
      { secrets: SECRET },
    );
    const peeked = await request(sessions, cookie, (session) => {
      assert.deepEqual(session.peekFlashes(), [
        { category: "info", message: 'Saved. <a href="/undo">Undo</a>', html: true },
        { category: "message", message: "Welcome" },
      ]);
      assert.deepEqual(session.consumeFlashes({ category: "message" }), [
        { category: "message", message: "Welcome" },
      ]);
    });
    assert.ok(peeked.setCookie);
    const after = decodeFlaskSession(peeked.setCookie, { secrets: SECRET, maxAgeSeconds: 60 });
    assert.deepEqual(after?.data._flashes, [
      new FlaskTuple(["info", new Markup('Saved. <a href="/undo">Undo</a>')]),
      new FlaskTuple(["custom", 42]),
    ]);
    const added = await request(sessions, peeked.setCookie, (session) => session.flash("Hi"));
    const withNew = decodeFlaskSession(added.setCookie ?? "", {
      secrets: SECRET,
      maxAgeSeconds: 60,
    });
    assert.equal(
      (withNew?.data._flashes as unknown[] | undefined)?.length,
      3,
      "Flask's stay queued",
    );
    const all = await request(sessions, added.setCookie, (session) => session.consumeFlashes());
    const emptied = decodeFlaskSession(all.setCookie ?? "", { secrets: SECRET, maxAgeSeconds: 60 });
    assert.equal(emptied?.data._flashes, undefined, "consuming everything empties the queue");
  });

  test("re-signing a rotated cookie keeps its timestamp: a rotation does not extend its life", async () => {
    const sessions = createSessions<Record<string, SessionValue>>({
      secret: [SECRET, OLD],
      format: "flask",
      rolling: false,
    });
    const signedAt = Math.floor(Date.now() / 1000) - 3_600;
    const old = encodeFlaskSession(
      { _permanent: true, user: "ada" },
      { secrets: OLD, now: () => signedAt * 1000 },
    );
    const { data, setCookie } = await request(sessions, old);
    assert.deepEqual(data, { user: "ada" });
    assert.ok(setCookie && setCookie !== old, "re-issued with the newest secret");
    const reissued = decodeFlaskSession(setCookie, { secrets: SECRET, maxAgeSeconds: 86_400 * 31 });
    assert.equal(reissued?.timestamp, signedAt);
  });

  test("a cookie signed a few seconds in the future (a clock ahead) is accepted; a minute is not", async () => {
    const sessions = manager("flask");
    const soon = encodeFlaskSession(
      { user: "ada" },
      { secrets: SECRET, now: () => Date.now() + 3_000 },
    );
    assert.deepEqual((await request(sessions, soon)).data, { user: "ada" });
    const later = encodeFlaskSession(
      { user: "ada" },
      { secrets: SECRET, now: () => Date.now() + 60_000 },
    );
    const refused = await request(sessions, later);
    assert.deepEqual(refused.data, {});
    assert.equal(refused.setCookie, undefined, "left alone: the Flask app may still read it");
  });
});

test("a sealed cookie without a creation time is refused when an absolute lifetime is set", async () => {
  const sessions = createSessions({
    secret: SECRET,
    format: "sealed",
    lifetime: "1h",
    absoluteLifetime: "1d",
  });
  const cookie = sealSession(
    { user: "ada" },
    { keys: new SealKeys(SECRET), expiresAt: Date.now() + 60_000 },
  );
  assert.deepEqual((await request(sessions, cookie)).data, {});
  const plain = createSessions({ secret: SECRET, format: "sealed" });
  assert.deepEqual((await request(plain, cookie)).data, { user: "ada" });
});
