import assert from "node:assert/strict";
import type { ServerResponse } from "node:http";
import { after, test } from "node:test";
import * as adapter from "../../bench/micro/adapter.ts";
import type { MicroCase, MicroGroup } from "../../bench/micro/case.ts";
import * as flask from "../../bench/micro/flask.ts";
import * as parse from "../../bench/micro/parse.ts";
import * as sealed from "../../bench/micro/sealed.ts";
import * as session from "../../bench/micro/session.ts";
import * as verify from "../../bench/micro/verify.ts";
import { ChangeSet } from "../../src/session/changes.ts";
import { SessionState } from "../../src/session/session.ts";

/**
 * Each micro-benchmark's body, run once: it must compute the right thing, so `npm run
 * bench:micro` measures the path it names and not an error or a rejection. The last test checks
 * that every case main.ts registers was run here.
 */

const checked = new Set<MicroCase>();

function runSync(entry: MicroCase): unknown {
  assert.notEqual(entry.async, true, `${entry.name} is async`);
  checked.add(entry);
  return entry.fn();
}

async function runAsync(entry: MicroCase): Promise<unknown> {
  assert.equal(entry.async, true, `${entry.name} is not marked async`);
  checked.add(entry);
  const result = entry.fn();
  assert.ok(result instanceof Promise, `${entry.name} returns no promise`);
  return await result;
}

after(async () => {
  await Promise.all([adapter.close(), verify.close()]);
});

test("cookie parsing finds the session cookie among the others", () => {
  const { cases, SESSION_VALUE } = parse;
  assert.deepEqual({ ...(runSync(cases.headerOne) as object) }, { session: SESSION_VALUE });
  const six = runSync(cases.headerSix) as Record<string, string>;
  assert.equal(Object.keys(six).length, 6);
  assert.equal(Object.keys(six)[2], "session", "the session cookie is in the middle");
  assert.equal(six.session, SESSION_VALUE);
  assert.deepEqual(runSync(cases.allValuesOne), [SESSION_VALUE]);
  assert.deepEqual(runSync(cases.allValuesSix), [SESSION_VALUE]);
});

test("verify: the valid id cookie gives its id, the forged one nothing", () => {
  const { cases, SESSION_ID, FORGED_SIGNATURE, SIGNATURE } = verify;
  // Both signatures are canonical 43-character base64url, so the forged one reaches the HMAC
  // comparison rather than failing on its shape.
  for (const signature of [SIGNATURE, FORGED_SIGNATURE]) {
    assert.equal(Buffer.from(signature, "base64url").toString("base64url"), signature);
    assert.equal(signature.length, 43);
  }
  assert.notEqual(FORGED_SIGNATURE, SIGNATURE);
  assert.deepEqual(runSync(cases.transportValid), [{ id: SESSION_ID, rotated: false }]);
  // Twice: the second read is the cache hit the benchmark measures.
  assert.deepEqual(cases.transportValid.fn(), [{ id: SESSION_ID, rotated: false }]);
  assert.deepEqual(runSync(cases.transportForged), []);
  assert.deepEqual(runSync(cases.signerValid), { valid: true, rotated: false });
  assert.deepEqual(runSync(cases.signerForged), { valid: false });
  assert.deepEqual(runSync(cases.signedCookie), { value: "alice", rotated: false });
});

test("sealed: unseal(seal(x)) is x, directly and through the cached transport codec", () => {
  const { cases, keys, SMALL_SESSION, EXPIRES_AT, CREATED_AT } = sealed;
  const token = runSync(cases.seal) as string;
  assert.match(token, /^v1\./);
  const fresh = sealed.transportCodec.decode(token);
  assert.equal(typeof fresh, "object");
  assert.deepEqual((fresh as { data: unknown }).data, SMALL_SESSION);
  const opened = runSync(cases.unseal);
  assert.deepEqual(opened, {
    data: SMALL_SESSION,
    expiresAt: Math.ceil(EXPIRES_AT / 1000) * 1000,
    createdAt: Math.floor(CREATED_AT / 1000) * 1000,
    rotated: false,
  });
  assert.equal(keys.newest.id, sealed.SEALED.split(".")[1]);
  const cached = runSync(cases.unsealCached);
  assert.equal(typeof cached, "object", `SealedCookieCodec.decode rejected it: ${String(cached)}`);
  assert.deepEqual((cached as { data: unknown }).data, SMALL_SESSION);
});

test("flask: decode(encode(x)) is x, small uncompressed and ~2 KB compressed", () => {
  const { cases, codec, SMALL_SESSION, LARGE_SESSION, MAX_AGE_SECONDS } = flask;
  const small = runSync(cases.encodeSmall) as string;
  assert.ok(!small.startsWith("."), "the small session is not compressed");
  assert.equal(codec.open(small)?.plain, true, "the small session is plain JSON");
  assert.deepEqual(codec.decode(small, MAX_AGE_SECONDS)?.data, SMALL_SESSION);
  const oneShot = runSync(cases.encodeSmallOneShot) as string;
  assert.deepEqual(codec.decode(oneShot, MAX_AGE_SECONDS)?.data, SMALL_SESSION);
  assert.deepEqual((runSync(cases.decodeSmall) as { data: unknown }).data, SMALL_SESSION);
  assert.deepEqual((runSync(cases.decodeSmallOneShot) as { data: unknown }).data, SMALL_SESSION);

  const json = Buffer.byteLength(JSON.stringify(LARGE_SESSION));
  assert.ok(json > 1_800 && json < 2_300, `the large session is ${json} bytes of JSON`);
  const large = runSync(cases.encodeLarge) as string;
  assert.ok(large.startsWith("."), "the large session is compressed");
  assert.deepEqual(codec.decode(large, MAX_AGE_SECONDS)?.data, LARGE_SESSION);
  assert.deepEqual((runSync(cases.decodeLarge) as { data: unknown }).data, LARGE_SESSION);
  // Under the verified cache's 1024-character limit, so the cached case is a cache hit.
  for (const cookie of [flask.LARGE_COOKIE, flask.LARGE_PLAIN_COOKIE]) {
    assert.ok(cookie.length <= 1_024, `${cookie.length} characters`);
  }
  // A hex token's "1e" is inside a string: both cached cases take plain JSON.parse.
  assert.equal(codec.open(flask.LARGE_COOKIE)?.plain, true, "the hex token takes JSON.parse");
  assert.equal(codec.open(flask.LARGE_PLAIN_COOKIE)?.plain, true);
  assert.ok(flask.LARGE_PLAIN_COOKIE.startsWith("."));
  for (const [entry, expected] of [
    [cases.decodeLargeCached, LARGE_SESSION],
    [cases.decodeLargePlainCached, flask.LARGE_PLAIN_SESSION],
  ] as const) {
    const cached = runSync(entry);
    assert.equal(typeof cached, "object", `FlaskCookieCodec.decode rejected it: ${String(cached)}`);
    assert.deepEqual((cached as { data: unknown }).data, expected);
  }
});

test("session: get reads, set records the change, in-place changes are found", () => {
  const { cases, sharedState } = session;
  assert.equal(runSync(cases.get), "alice");
  runSync(cases.set);
  assert.equal(typeof sharedState.changes.set.get("n"), "number");
  assert.equal(sharedState.data.get("n"), sharedState.changes.set.get("n"));

  const changes = runSync(cases.changeSet) as ChangeSet;
  assert.ok(changes instanceof ChangeSet);
  assert.deepEqual([...changes.set.keys()], ["username", "n", "theme"]);
  assert.deepEqual([...changes.delete], ["flash"]);

  const request = runSync(cases.request) as SessionState;
  assert.deepEqual([...request.changes.set], [["n", 1]]);
  assert.equal(request.data.get("username"), "alice");

  const unchanged = runSync(cases.inPlaceUnchanged) as SessionState;
  assert.ok(unchanged instanceof SessionState);
  assert.equal(unchanged.unchanged, true);
  const changed = runSync(cases.inPlaceChanged) as SessionState;
  assert.equal(changed.unchanged, false);
  assert.deepEqual([...changed.changes.set.keys()], ["cart"]);
});

test("adapter: the hook adds the session's headers, and the response is sent", () => {
  const { hookCases, headerText } = adapter;
  const plain = headerText(runSync(hookCases.plain) as ServerResponse);
  assert.match(plain, /^HTTP\/1\.1 200 OK\r\n/);
  assert.doesNotMatch(plain, /Vary|Set-Cookie/);
  const read = runSync(hookCases.hookRead) as ServerResponse;
  assert.ok(read.writableEnded);
  assert.match(headerText(read), /\r\nVary: Cookie\r\n/);
  assert.doesNotMatch(headerText(read), /Set-Cookie/);
  const write = headerText(runSync(hookCases.hookWrite) as ServerResponse);
  assert.match(write, /\r\nSet-Cookie: session=[^\r]+; HttpOnly; SameSite=Lax\r\n/);
  assert.match(write, /\r\nVary: Cookie\r\n/);
});

test("adapter: withSessions reads alice's session from the memory store", async () => {
  const { nodeCases, headerText, LOGGED_IN_COOKIE, BODY } = adapter;
  assert.match(LOGGED_IN_COOKIE, /^session=[\w-]{43}\.[\w-]{43}$/);
  const body = (res: ServerResponse): string =>
    (res as unknown as { outputData: { data: string }[] }).outputData
      .map((chunk) => String(chunk.data))
      .join("");

  const plain = (await runAsync(nodeCases.plain)) as ServerResponse;
  assert.doesNotMatch(headerText(plain), /Vary/);
  assert.ok(body(plain).endsWith(BODY));

  const anonymous = (await runAsync(nodeCases.anonymous)) as ServerResponse;
  assert.match(headerText(anonymous), /\r\nVary: Cookie\r\n/);
  assert.doesNotMatch(headerText(anonymous), /Set-Cookie/, "an unchanged new session sets none");
  assert.ok(body(anonymous).endsWith(JSON.stringify({ username: null })));

  const read = (await runAsync(nodeCases.read)) as ServerResponse;
  assert.ok(read.writableEnded);
  assert.match(headerText(read), /\r\nVary: Cookie\r\n/);
  assert.doesNotMatch(headerText(read), /Set-Cookie/, "a read within touchAfter sends no cookie");
  assert.ok(body(read).endsWith(BODY), "the session read found alice");

  // With migrateFrom set, the same requests give the same answers (no legacy cookie to move).
  const anonymousMigrating = (await runAsync(nodeCases.anonymousMigrating)) as ServerResponse;
  assert.doesNotMatch(headerText(anonymousMigrating), /Set-Cookie/);
  assert.ok(body(anonymousMigrating).endsWith(JSON.stringify({ username: null })));
  const readMigrating = (await runAsync(nodeCases.readMigrating)) as ServerResponse;
  assert.doesNotMatch(headerText(readMigrating), /Set-Cookie/);
  assert.ok(body(readMigrating).endsWith(BODY), "the session read found alice");
});

test("every benchmarked case was run above", () => {
  const groups: MicroGroup[] = [
    ...parse.groups,
    ...verify.groups,
    ...sealed.groups,
    ...flask.groups,
    ...session.groups,
    ...adapter.groups,
  ];
  const registered = new Set(groups.flatMap((group) => group.cases));
  const missing = [...registered].filter((entry) => !checked.has(entry)).map((e) => e.name);
  assert.deepEqual(missing, []);
  const names = [...registered].map((entry) => entry.name);
  assert.equal(new Set(names).size, names.length, "case names are unique");
});
