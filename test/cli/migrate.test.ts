/**
 * `tessera migrate` end to end: the real binary (bin/tessera.js) copies sessions that the real
 * express-session stores wrote (connect-redis on Redis, connect-pg-simple on PostgreSQL, each in
 * a namespace of this run's own) into a tessera store on the same server, and a tessera app with
 * `migrateFrom: expressSession({ secret })` and no legacy store at all then finds them from the
 * browsers' `connect.sid` cookies.
 */
import assert from "node:assert/strict";
import { createHmac, randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { RedisStore } from "connect-redis";
import type session from "express-session";
import { withSessions } from "../../src/adapters/node.ts";
import { CountProgress } from "../../src/cli/output.ts";
import { Keyring } from "../../src/crypto/keyring.ts";
import { movedSessionId } from "../../src/engine/legacy-sessions.ts";
import { createSessions } from "../../src/engine/manager.ts";
import { expressSession } from "../../src/migrate/express-session.ts";
import { LEGACY_END_KEY } from "../../src/session/session.ts";
import type { SessionStore, StoredSession } from "../../src/stores/contract.ts";
import { postgresStore } from "../../src/stores/postgres/index.ts";
import { redisStore } from "../../src/stores/redis/index.ts";
import { CookieClient } from "../support/client.ts";
import { connectPgForRun, connectRedisForRun } from "../support/connect-stores.ts";
import { databaseUrl } from "../support/postgres.ts";
import { ensureRedis } from "../support/redis-server.ts";
import { type CliRun, runCli } from "../support/run-cli.ts";

const LEGACY_SECRET = "the express-session secret the old app had";
const SECRET = randomBytes(32).toString("base64url");
const keyring = new Keyring(SECRET);
const DAY = 86_400_000;
const LIVE = 5;

type Run = CliRun;

/** Runs the binary with SECRET_KEY set to the app's secret (unless `env` says otherwise). */
function tessera(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return runCli(args, { env: { SECRET_KEY: SECRET, ...env } });
}

/** A session as express-session hands it to its store. */
interface LegacySession {
  readonly id: string;
  readonly expires: number;
  readonly data: { passport: { user: string }; cart: unknown[] };
}

/** LIVE sessions written through `store.set`, as express-session writes them after a login. */
async function writeLegacySessions(store: session.Store): Promise<LegacySession[]> {
  const sessions: LegacySession[] = [];
  for (let index = 0; index < LIVE; index++) {
    const id = randomBytes(24).toString("base64url");
    const expires = Date.now() + DAY - index * 60_000;
    const data = { passport: { user: `u${index}` }, cart: [index, `item-${index}`, { qty: 2 }] };
    const record = {
      cookie: { originalMaxAge: DAY, expires: new Date(expires), httpOnly: true, path: "/" },
      ...data,
    };
    await new Promise<void>((resolve, reject) =>
      store.set(id, record as unknown as session.SessionData, (error?: unknown) =>
        error ? reject(error) : resolve(),
      ),
    );
    sessions.push({ id, expires, data });
  }
  return sessions;
}

/** A record whose cookie ended an hour ago, though the store still keeps it. */
function expiredRecord(): string {
  return JSON.stringify({
    cookie: { originalMaxAge: DAY, expires: new Date(Date.now() - 3_600_000), path: "/" },
    passport: { user: "gone" },
  });
}

const movedId = (legacyId: string, source = "express-session") =>
  movedSessionId(keyring, source, legacyId);

/** The summary of a `--json` run. */
function summaryOf(run: Run): Record<string, unknown> {
  assert.equal(run.code, 0, run.stderr);
  return JSON.parse(run.stdout) as Record<string, unknown>;
}

/** The `connect.sid` cookie express-session sets for `id`: `s:<id>.<signature>`, URL-encoded. */
function connectSid(id: string): string {
  const signature = createHmac("sha256", LEGACY_SECRET)
    .update(id)
    .digest("base64")
    .replace(/=+$/, "");
  return encodeURIComponent(`s:${id}.${signature}`);
}

interface Pair {
  /** The `--from …` (and `--to …`) arguments. */
  readonly from: () => string[];
  readonly to: () => string[];
  /** A store object on the tessera store the command writes to. */
  readonly tessera: () => SessionStore;
  readonly sessions: () => LegacySession[];
  /** How many legacy records are left. */
  readonly legacyLeft: () => Promise<number>;
  /** The summary's counts for the records seeded. */
  readonly counts: { moved: number; skipped: number; malformed: number };
}

/** What every legacy store and tessera store must do the same. */
function migrationTests(pair: Pair): void {
  const recordsOf = async (store: SessionStore): Promise<(StoredSession | undefined)[]> =>
    Promise.all(pair.sessions().map(({ id }) => store.get(movedId(id))));

  test("--dry-run reads and counts everything, and writes nothing", async () => {
    const run = await tessera(["migrate", ...pair.from(), ...pair.to(), "--dry-run", "--json"]);
    const summary = summaryOf(run);
    assert.deepEqual(
      { ...pair.counts, deleted: 0, dryRun: true },
      {
        moved: summary.moved,
        skipped: summary.skipped,
        malformed: summary.malformed,
        deleted: summary.deleted,
        dryRun: summary.dryRun,
      },
    );
    assert.equal(run.stderr, "", "--json is quiet on stderr");
    const store = pair.tessera();
    try {
      assert.deepEqual(await recordsOf(store), Array(LIVE).fill(undefined));
      let listed = 0;
      for await (const _ of store.list()) listed += 1;
      assert.equal(listed, 0, "the tessera store is still empty");
    } finally {
      await store.close();
    }
  });

  test("moves every live session under its derived id, with its data and legacy end", async () => {
    const startedAt = Date.now();
    const run = await tessera(["migrate", ...pair.from(), ...pair.to()]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, new RegExp(`^moved\\s+${pair.counts.moved}$`, "m"));
    assert.match(run.stdout, new RegExp(`^skipped\\s+${pair.counts.skipped}$`, "m"));
    assert.match(run.stdout, new RegExp(`^malformed\\s+${pair.counts.malformed}$`, "m"));
    assert.match(run.stdout, /^source\s+express-session$/m);
    // stderr is no terminal here: plain progress lines, the last one the whole way.
    const total = pair.counts.moved + pair.counts.skipped + pair.counts.malformed;
    const lines = run.stderr.trimEnd().split("\n");
    for (const line of lines) assert.match(line, /^tessera migrate: \d+\/\d+$/);
    assert.equal(lines.at(-1), `tessera migrate: ${total}/${total}`);

    const store = pair.tessera();
    try {
      const records = await recordsOf(store);
      for (const [index, legacy] of pair.sessions().entries()) {
        const record = records[index];
        assert.ok(record !== undefined, `session ${index} moved`);
        assert.deepEqual(record.data, { ...legacy.data, [LEGACY_END_KEY]: legacy.expires });
        assert.ok(record.expiresAt <= legacy.expires, "it ends no later than it did before");
        assert.ok(record.expiresAt > Date.now() + DAY - 10 * 60_000);
        assert.ok(record.createdAt >= startedAt - 1_000 && record.createdAt <= Date.now());
      }
    } finally {
      await store.close();
    }
    assert.equal(await pair.legacyLeft(), total, "no legacy record changed or deleted");
  });

  test("a second run gives identical records", async () => {
    const store = pair.tessera();
    try {
      const first = await recordsOf(store);
      const summary = summaryOf(await tessera(["migrate", ...pair.from(), ...pair.to(), "--json"]));
      assert.equal(summary.moved, pair.counts.moved);
      assert.deepEqual(await recordsOf(store), first);
      let listed = 0;
      for await (const _ of store.list()) listed += 1;
      assert.equal(listed, LIVE, "no session twice");
    } finally {
      await store.close();
    }
  });

  test("--lifetime caps a moved session's end", async () => {
    // A throwaway copy under a second secret, so the records above stay as they are.
    const other = randomBytes(32).toString("base64url");
    const summary = summaryOf(
      await tessera([
        "migrate",
        ...pair.from(),
        ...pair.to(),
        "--json",
        "--lifetime",
        "1h",
        "--secret",
        other,
      ]),
    );
    assert.equal(summary.moved, pair.counts.moved);
    const store = pair.tessera();
    try {
      for (const legacy of pair.sessions()) {
        const id = movedSessionId(new Keyring(other), "express-session", legacy.id);
        const record = await store.get(id);
        assert.ok(record !== undefined);
        assert.ok(record.expiresAt <= Date.now() + 3_600_000);
        assert.equal(record.data[LEGACY_END_KEY], legacy.expires, "the legacy end is kept");
        await store.destroy(id);
      }
    } finally {
      await store.close();
    }
  });

  test("--delete-legacy deletes each moved session's legacy record, and only those", async () => {
    const store = pair.tessera();
    try {
      const before = await recordsOf(store);
      const summary = summaryOf(
        await tessera(["migrate", ...pair.from(), ...pair.to(), "--delete-legacy", "--json"]),
      );
      assert.equal(summary.moved, pair.counts.moved);
      assert.equal(summary.deleted, pair.counts.moved);
      assert.equal(await pair.legacyLeft(), pair.counts.skipped + pair.counts.malformed);
      assert.deepEqual(await recordsOf(store), before);
    } finally {
      await store.close();
    }
  });

  test("after the switch, with the legacy records gone, each connect.sid cookie finds its moved session", async () => {
    const manager = createSessions({
      secret: SECRET,
      store: pair.tessera(),
      // No legacy store: only the sessions `tessera migrate` moved can be found.
      migrateFrom: expressSession({ secret: LEGACY_SECRET }),
    });
    const server: Server = createServer(
      withSessions(manager, async (_req, res, { session }) => {
        const current = await session();
        res.writeHead(200, { "content-type": "application/json" });
        res.end(
          JSON.stringify({
            passport: current.get("passport") ?? null,
            cart: current.get("cart") ?? null,
          }),
        );
      }),
    );
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      for (const legacy of pair.sessions()) {
        const client = new CookieClient(base);
        client.jar.set("connect.sid", connectSid(legacy.id));
        const first = await client.get("/");
        assert.equal(first.status, 200, first.text);
        assert.deepEqual(first.json(), legacy.data, "logged in, with the moved data");
        const cookie = first.setCookies.find((header) => header.startsWith("session="));
        assert.ok(cookie !== undefined, "tessera's cookie is set");
        const maxAge = Number(/Max-Age=(\d+)/i.exec(cookie)?.[1]);
        assert.ok(maxAge * 1_000 <= legacy.expires - Date.now() + 1_000, `Max-Age ${maxAge}`);
        assert.ok(!client.jar.has("connect.sid"), "the legacy cookie is cleared");
        // On tessera's cookie alone.
        assert.deepEqual((await client.get("/")).json(), legacy.data);
      }
      // A connect.sid whose session was never moved: a fresh session, and the cookie cleared.
      const stranger = new CookieClient(base);
      stranger.jar.set("connect.sid", connectSid("never-moved-session-id"));
      assert.deepEqual((await stranger.get("/")).json(), { passport: null, cart: null });
      assert.ok(!stranger.jar.has("connect.sid") && !stranger.jar.has("session"));
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await manager.close();
    }
  });
}

describe("tessera migrate from connect-redis into a tessera Redis store", () => {
  let redis: Awaited<ReturnType<typeof connectRedisForRun>>;
  let sessions: LegacySession[] = [];
  const legacyPrefix = () => `${redis.prefix}sess:`;
  const tesseraPrefix = () => `${redis.prefix}tessera:`;
  before(async () => {
    redis = await connectRedisForRun();
    const store = new RedisStore({ client: redis.client, prefix: legacyPrefix() });
    sessions = await writeLegacySessions(store);
    await redis.client.set(`${legacyPrefix()}expired`, expiredRecord(), { PX: DAY });
    await redis.client.set(`${legacyPrefix()}malformed`, "not json", { PX: DAY });
  });
  after(() => redis?.close());

  migrationTests({
    from: () => ["--from", redis.url, "--prefix", legacyPrefix()],
    to: () => ["--to", redis.url, "--to-prefix", tesseraPrefix()],
    tessera: () => redisStore({ client: redis.client, prefix: tesseraPrefix() }),
    sessions: () => sessions,
    legacyLeft: async () => (await redis.client.keys(`${legacyPrefix()}*`)).length,
    counts: { moved: LIVE, skipped: 1, malformed: 1 },
  });

  test("--source fastify-session derives @fastify/session's ids", async () => {
    const prefix = `${redis.prefix}fastify:`;
    const store = new RedisStore({ client: redis.client, prefix: `${redis.prefix}fsess:` });
    const [legacy] = await writeLegacySessions(store);
    const run = await tessera([
      "migrate",
      "--source",
      "fastify-session",
      "--from",
      redis.url,
      "--prefix",
      `${redis.prefix}fsess:`,
      "--to",
      redis.url,
      "--to-prefix",
      prefix,
      "--json",
    ]);
    assert.equal(summaryOf(run).source, "@fastify/session");
    const moved = redisStore({ client: redis.client, prefix });
    try {
      const id = (legacy as LegacySession).id;
      assert.deepEqual((await moved.get(movedId(id, "@fastify/session")))?.data.passport, {
        user: "u0",
      });
      assert.equal(await moved.get(movedId(id)), undefined);
    } finally {
      await moved.close();
    }
  });
});

describe("tessera migrate from connect-pg-simple into a tessera PostgreSQL store", () => {
  let pg: Awaited<ReturnType<typeof connectPgForRun>>;
  let sessions: LegacySession[] = [];
  const tesseraTable = () => `${pg.schema}.tessera_sessions`;
  const legacyTable = () => `"${pg.schema}"."${pg.table}"`;
  before(async () => {
    pg = await connectPgForRun();
    sessions = await writeLegacySessions(pg.make());
    // Expired by its cookie, though its row lives on; JSON that is no session object.
    await pg.pool.query(
      `INSERT INTO ${legacyTable()} (sid, sess, expire) VALUES ($1, $2::json, now() + interval '1 day'), ($3, $4::json, now() + interval '1 day')`,
      ["expired", expiredRecord(), "not-an-object", JSON.stringify("a string")],
    );
    // The tessera app created its table when it first started.
    const store = postgresStore({ client: pg.pool, table: tesseraTable(), sweepInterval: false });
    await store.get("warm-up");
    await store.close();
  });
  after(() => pg?.close());

  migrationTests({
    from: () => ["--from", databaseUrl(), "--schema", pg.schema, "--table", pg.table],
    to: () => ["--to", databaseUrl(), "--to-table", tesseraTable()],
    tessera: () =>
      postgresStore({
        client: pg.pool,
        table: tesseraTable(),
        createTable: false,
        sweepInterval: false,
      }),
    sessions: () => sessions,
    legacyLeft: async () =>
      Number((await pg.pool.query(`SELECT count(*) AS n FROM ${legacyTable()}`)).rows[0].n),
    counts: { moved: LIVE, skipped: 2, malformed: 0 },
  });

  test("a missing legacy table or tessera table is one line, exit 3", async () => {
    const legacy = await tessera([
      "migrate",
      "--from",
      databaseUrl(),
      "--schema",
      pg.schema,
      "--to",
      databaseUrl(),
      "--to-table",
      tesseraTable(),
    ]);
    assert.equal(legacy.code, 3);
    assert.match(legacy.stderr, /^tessera: no table "[^"]+"\."session" at postgres:\/\/.*\n$/);
    const target = await tessera([
      "migrate",
      "--from",
      databaseUrl(),
      "--schema",
      pg.schema,
      "--table",
      pg.table,
      "--to",
      databaseUrl(),
      "--to-table",
      `${pg.schema}.no_such_table`,
    ]);
    assert.equal(target.code, 3);
    assert.match(
      target.stderr,
      /^tessera: no tessera table at postgres:\/\/.*postgresTableDdl.*\n$/,
    );
  });
});

describe("tessera migrate: help, usage and unreachable stores", () => {
  test("--help prints the usage, exit 0; it is listed in tessera --help", async () => {
    const help = await tessera(["migrate", "--help"]);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^usage: tessera migrate --from URL --to URL \[options\]/);
    assert.match(help.stdout, /--delete-legacy/);
    assert.match(help.stdout, /exit codes: 0 ok, 1 not found or not verified, 2 usage/);
    assert.match((await tessera(["--help"])).stdout, /tessera migrate {4}copy express-session/);
  });

  test("usage errors exit 2 with one line", async () => {
    const cases: [string[], NodeJS.ProcessEnv, RegExp][] = [
      [["--to", "redis://127.0.0.1:6379"], {}, /needs --from URL .* and --to URL/],
      [
        ["--from", "redis://127.0.0.1:6379", "--to", "redis://127.0.0.1:6379"],
        { SECRET_KEY: "" },
        /needs the tessera app's secret: --secret S, or SECRET_KEY/,
      ],
      [
        ["--from", "redis://x", "--to", "redis://x", "--source", "cookie-session"],
        {},
        /--source must be express-session or fastify-session; got "cookie-session"/,
      ],
      [
        ["--from", "redis://x", "--to", "redis://x", "--lifetime", "a month"],
        {},
        /--lifetime "a month" is not a duration/,
      ],
      [
        ["--from", "redis://x", "--to", "redis://x", "--secret", "short"],
        {},
        /^tessera: --secret: The secret is 5 bytes/,
      ],
      [
        [
          "--from",
          "redis://h/1",
          "--prefix",
          "app:",
          "--to",
          "redis://h:6379/1",
          "--to-prefix",
          "app:t:",
        ],
        {},
        /--prefix "app:" and --to-prefix "app:t:" overlap on the same Redis database/,
      ],
      [
        ["--from", "mongodb://127.0.0.1", "--to", "redis://x"],
        {},
        /--from mongodb:\/\/ is not a legacy store tessera migrate reads/,
      ],
      [
        ["--from", databaseUrl(), "--prefix", "sess:", "--to", "redis://x"],
        {},
        /--prefix is connect-redis's key prefix, for a redis:\/\/ --from/,
      ],
    ];
    for (const [args, env, message] of cases) {
      const run = await tessera(["migrate", ...args], env);
      assert.equal(run.code, 2, `${args.join(" ")}: ${run.stderr}`);
      assert.match(run.stderr, message);
      assert.equal(run.stderr.trimEnd().split("\n").length, 1, run.stderr);
    }
    const unknown = await tessera(["migrate", "--bogus"]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /Unknown option '--bogus'/);
  });

  test("a store that is down is one line, exit 3", async () => {
    const legacyDown = await tessera([
      "migrate",
      "--from",
      "redis://127.0.0.1:1",
      "--to",
      "redis://127.0.0.1:6379",
    ]);
    assert.equal(legacyDown.code, 3);
    assert.match(
      legacyDown.stderr,
      /^tessera: Redis at redis:\/\/127\.0\.0\.1:1 did not answer: .*\n$/,
    );
    const pgDown = await tessera([
      "migrate",
      "--from",
      "postgres://postgres@127.0.0.1:1/postgres",
      "--to",
      "redis://127.0.0.1:6379",
    ]);
    assert.equal(pgDown.code, 3);
    assert.match(
      pgDown.stderr,
      /^tessera: the legacy store postgres:\/\/127\.0\.0\.1:1\/postgres failed: .*ECONNREFUSED.*\n$/,
    );
    const tesseraDown = await tessera([
      "migrate",
      "--from",
      await ensureRedis(),
      "--prefix",
      `tessera-test-nothing:${randomBytes(4).toString("hex")}:`,
      "--to",
      "postgres://postgres@127.0.0.1:1/postgres",
    ]);
    assert.equal(tesseraDown.code, 3);
    assert.match(tesseraDown.stderr, /^tessera: PostgreSQL failed during get .*ECONNREFUSED.*\n$/);
  });

  test("the progress bar on a terminal: [#####.....] done/total, redrawn in place", () => {
    const written: string[] = [];
    const write = process.stderr.write;
    process.stderr.write = ((chunk: string) => {
      written.push(chunk);
      return true;
    }) as typeof process.stderr.write;
    try {
      const progress = new CountProgress("label", 4, "bar");
      for (let tick = 0; tick < 4; tick++) progress.tick();
      progress.done();
    } finally {
      process.stderr.write = write;
    }
    const [first, ...rest] = written;
    assert.match(first ?? "", /^\r\[#{7}\.{23}\] 1\/4$/);
    assert.deepEqual(rest, [`\r[${"#".repeat(30)}] 4/4`, "\n"], "then the last, and the line ends");
  });
});
