/**
 * What a corrupt record must do to the request that meets it, shared by the corrupt-record
 * tests of every store: the request gets a fresh, empty session (a 2xx), the cookie that led to
 * the record is cleared or replaced, the requests after it are served normally (never a loop of
 * 500s), and the store reports the record on `tessera:store:corrupt`.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import type { StoreCorruptMessage } from "../../../src/diagnostics.ts";

export const CORRUPT_CHANNEL = "tessera:store:corrupt";

/** Every message published on `tessera:store:corrupt` while subscribed. */
export function watchCorruptReports(): { readonly seen: StoreCorruptMessage[]; stop(): void } {
  const seen: StoreCorruptMessage[] = [];
  const listener = (message: unknown): void => {
    seen.push(message as StoreCorruptMessage);
  };
  subscribe(CORRUPT_CHANNEL, listener);
  return { seen, stop: () => unsubscribe(CORRUPT_CHANNEL, listener) };
}

/** The first 16 hex digits of the id's SHA-256: how the events name a session. */
export function refOf(id: string): string {
  return createHash("sha256").update(id).digest("hex").slice(0, 16);
}

interface Answer {
  readonly status: number;
  readonly body: string;
  /** The session cookie set: its value, "" when cleared, undefined when untouched. */
  readonly cookie: string | undefined;
}

async function send(base: string, method: string, path: string, cookie?: string): Promise<Answer> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: cookie === undefined ? {} : { cookie: `session=${cookie}` },
    signal: AbortSignal.timeout(30_000),
  });
  let set: string | undefined;
  for (const header of response.headers.getSetCookie()) {
    const match = /^session=([^;]*)/.exec(header);
    if (match) set = /max-age=0/i.test(header) ? "" : (match[1] ?? "");
  }
  return { status: response.status, body: await response.text(), cookie: set };
}

/** Logs in a fresh visitor and stores a counter of 1; resolves its cookie. */
export async function loginWithCount(base: string, user: string): Promise<string> {
  const login = await send(base, "POST", `/login?user=${user}`);
  assert.equal(login.status, 200, `login: ${login.body}`);
  assert.ok(login.cookie, "the login set a session cookie");
  const inc = await send(base, "POST", "/inc", login.cookie);
  assert.deepEqual([inc.status, inc.body], [200, '{"count":1}']);
  const state = await send(base, "GET", "/state", login.cookie);
  assert.deepEqual(JSON.parse(state.body), { user, count: 1 }, "stored before it is corrupted");
  return login.cookie;
}

/**
 * Drives the app with a cookie whose record was corrupted, and checks what its user sees: the
 * same answers however often the cookie comes back, since nothing rewrites the record.
 */
export async function expectFreshSession(base: string, cookie: string): Promise<void> {
  // Read: an empty session, and the cookie that led nowhere is cleared.
  for (let attempt = 1; attempt <= 3; attempt += 1) {
    const read = await send(base, "GET", "/state", cookie);
    assert.equal(
      read.status,
      200,
      `read ${attempt} with the corrupt record's cookie: ${read.body}`,
    );
    assert.deepEqual(JSON.parse(read.body), { user: null, count: null }, "a fresh, empty session");
    assert.equal(read.cookie, "", "the cookie is cleared");
  }
  // A change that needs a session: not logged in, not an error.
  const inc = await send(base, "POST", "/inc", cookie);
  assert.equal(inc.status, 401, `an increment with the cookie: ${inc.body}`);
  // Logging in again replaces the cookie with a new session that works.
  const login = await send(base, "POST", "/login?user=again", cookie);
  assert.equal(login.status, 200, `a login with the cookie: ${login.body}`);
  assert.ok(login.cookie, "the login set a new session cookie");
  assert.notEqual(login.cookie.split(".")[0], cookie.split(".")[0], "under a new id");
  const next = await send(base, "POST", "/inc", login.cookie);
  assert.deepEqual([next.status, next.body], [200, '{"count":1}'], "the new session works");
  const state = await send(base, "GET", "/state", login.cookie);
  assert.deepEqual(JSON.parse(state.body), { user: "again", count: 1 });
  // And the old cookie still leads to nothing, however often it comes back.
  const stale = await send(base, "GET", "/state", cookie);
  assert.equal(stale.status, 200);
  assert.deepEqual(JSON.parse(stale.body), { user: null, count: null });
}

/** The store reported the record: its kind, the id's reference, a problem without the data. */
export function expectReported(
  seen: readonly StoreCorruptMessage[],
  store: string,
  id: string,
  garbageMarker: string,
): void {
  const ref = refOf(id);
  const mine = seen.filter((message) => message.sessionRef === ref);
  assert.ok(
    mine.length > 0,
    `a ${CORRUPT_CHANNEL} message for sessionRef ${ref} (messages seen: ${JSON.stringify(seen)})`,
  );
  for (const message of mine) {
    assert.equal(message.store, store);
    assert.equal(typeof message.problem, "string");
    assert.ok(message.problem.length > 0, "the problem is described");
    assert.ok(!message.problem.includes(garbageMarker), "the message carries none of the record");
    assert.ok(!JSON.stringify(message).includes(id), "the message carries no session id");
  }
}
