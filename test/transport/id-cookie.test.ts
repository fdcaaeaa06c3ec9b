import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { Cookies, engineWriterOf } from "../../src/cookies/jar.ts";
import { serializeSetCookie } from "../../src/cookies/serialize.ts";
import { Keyring } from "../../src/crypto/keyring.ts";
import { newSessionId } from "../../src/crypto/session-id.ts";
import { resolveOptions } from "../../src/engine/options.ts";
import { memoryStore } from "../../src/stores/memory.ts";
import { IdCookieTransport } from "../../src/transport/id-cookie.ts";

const NEW = "id-cookie-test-newest-secret-0123456789";
const OLD = "id-cookie-test-older-secret-01234567890";

function transport(secret: string | string[]): IdCookieTransport {
  return new IdCookieTransport(resolveOptions({ secret, store: memoryStore() }));
}

function request(value: string): Cookies {
  return new Cookies(`session=${value}`, { requestIsSecure: false });
}

describe("signed id cookie", () => {
  test("reads back what it wrote, and nothing altered", () => {
    const ids = transport(NEW);
    const id = newSessionId();
    const out = new Cookies(undefined, { requestIsSecure: false });
    ids.write(engineWriterOf(out), id, 60, false);
    const value = (out.outgoing[0] ?? "").split(";")[0]?.slice("session=".length) ?? "";
    // Twice: the second read is served by the verified-value cache and must agree.
    assert.deepEqual(ids.read(request(value)), [{ id, rotated: false }]);
    assert.deepEqual(ids.read(request(value)), [{ id, rotated: false }]);
    for (let index = 0; index < value.length; index++) {
      const replacement = value[index] === "A" ? "B" : "A";
      const altered = value.slice(0, index) + replacement + value.slice(index + 1);
      assert.deepEqual(ids.read(request(altered)), [], `byte ${index} changed`);
    }
    assert.deepEqual(ids.read(request(`${value}x`)), []);
    assert.deepEqual(ids.read(request(value.slice(0, -1))), []);
  });

  test("a cookie signed with an older secret reads as rotated, every time", () => {
    const id = newSessionId();
    const value = `${id}.${new Keyring(OLD).sign("session-id", id)}`;
    const ids = transport([NEW, OLD]);
    assert.deepEqual(ids.read(request(value)), [{ id, rotated: true }]);
    assert.deepEqual(ids.read(request(value)), [{ id, rotated: true }]);
    assert.deepEqual(
      transport(NEW).read(request(value)),
      [],
      "a retired secret no longer verifies",
    );
  });

  test("an unsigned id, or a signed value that is no session id, is not read", () => {
    const ids = transport(NEW);
    const ring = new Keyring(NEW);
    assert.deepEqual(ids.read(request(newSessionId())), [], "a bare id");
    for (const id of ["abc", "A".repeat(42), "A".repeat(44), `${"A".repeat(42)}!`]) {
      const signed = `${id}.${ring.sign("session-id", id)}`;
      assert.deepEqual(ids.read(request(signed)), [], `signed ${JSON.stringify(id)}`);
    }
  });
});

describe("the session cookie's Set-Cookie header", () => {
  /** What the cookie layer writes for the same cookie, built in full. */
  function fullHeader(value: string, maxAge: number | undefined, secure: boolean): string {
    return serializeSetCookie(
      "session",
      value,
      {
        path: "/",
        httpOnly: true,
        sameSite: "lax",
        secure,
        ...(maxAge === undefined ? {} : { maxAge }),
      },
      secure,
    );
  }

  function written(
    ids: IdCookieTransport,
    id: string,
    maxAge: number | undefined,
    secure: boolean,
  ) {
    const out = new Cookies(undefined, { requestIsSecure: secure });
    ids.write(engineWriterOf(out), id, maxAge, secure);
    return out.outgoing[0] ?? "";
  }

  test("is what the cookie layer builds, whatever the request, the Max-Age and the second", async () => {
    const ids = transport(NEW);
    const cases: [number | undefined, boolean][] = [
      [60, false],
      [60, true],
      [61, false],
      [undefined, false],
      [undefined, true],
      [2_678_400, true],
      [60, false],
    ];
    for (let round = 0; round < 2; round += 1) {
      for (const [maxAge, secure] of cases) {
        const id = newSessionId();
        const second = Math.floor(Date.now() / 1_000);
        const header = written(ids, id, maxAge, secure);
        const value = header.split(";")[0]?.slice("session=".length) ?? "";
        const expected = fullHeader(value, maxAge, secure);
        // Expires is to the second: only a comparison within one second is meaningful.
        if (Math.floor(Date.now() / 1_000) !== second) continue;
        assert.equal(header, expected, `${maxAge} ${secure}`);
      }
      // Into the next second, where Expires changes and a cached text would be stale.
      await sleep(1_000 - (Date.now() % 1_000) + 5);
    }
  });
});
