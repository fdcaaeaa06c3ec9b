/**
 * `tessera migrate`: every session express-session or @fastify/session kept in Redis
 * (connect-redis) or PostgreSQL (connect-pg-simple), copied into a tessera store ahead of the
 * switch, each under the id `migrateFrom` derives from its legacy id (movedSessionId) and as the
 * engine itself writes a moved session (SessionState.moveIn, then a create), so a request that
 * moves the same session at the same time, or a second run, arrives at the same record.
 *
 * Legacy records are only read, unless `--delete-legacy`: the old app may still be serving, and
 * at the switch the engine prefers a live legacy record over the copy.
 */
import { parseArgs } from "node:util";
import { MAX_NESTING, tooDeepMessage, valueNestsDeeperThan } from "../codecs/nesting.ts";
import { movedSessionId } from "../engine/legacy-sessions.ts";
import { SessionValueError, StoreUnavailableError } from "../errors.ts";
import { sessionOfRecord } from "../migrate/signed-id-source.ts";
import type { LegacySession } from "../migrate/source.ts";
import { movedData } from "../session/session.ts";
import type { SessionStore } from "../stores/contract.ts";
import { CliError, EXIT, type ExitCode } from "./exit.ts";
import { legacyCall, type OpenedLegacy, openLegacy } from "./migrate-legacy.ts";
import { MIGRATE_HELP, OPTIONS, type Settings, settingsOf } from "./migrate-options.ts";
import { type OpenedStore, openStore } from "./open-store.ts";
import { CountProgress, keyValueTable, writeLine } from "./output.ts";

export { MIGRATE_HELP } from "./migrate-options.ts";

/** Writes in flight at once: enough to overlap round trips, few enough for a small pool. */
const CONCURRENCY = 16;

export interface MigrateSummary {
  from: string;
  to: string;
  source: string;
  dryRun: boolean;
  moved: number;
  skipped: number;
  malformed: number;
  deleted: number;
}

export async function runMigrate(args: readonly string[]): Promise<ExitCode> {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args: [...args], options: OPTIONS, allowPositionals: true });
  } catch (error) {
    throw new CliError(`${(error as Error).message}\n${MIGRATE_HELP}`, EXIT.usage);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(MIGRATE_HELP);
    return EXIT.ok;
  }
  if (positionals.length > 0) {
    throw new CliError(
      `tessera migrate takes no arguments, only options; got ${JSON.stringify(positionals[0])} (see tessera migrate --help).`,
      EXIT.usage,
    );
  }
  const settings = settingsOf(values);
  const legacy = await openLegacy(values);
  let target: OpenedStore | undefined;
  try {
    await legacy.probe();
    target = await openStore(
      settings.to,
      { prefix: values["to-prefix"], table: values["to-table"], userKey: values["user-key"] },
      "--to",
    );
    await probeTarget(target);
    const summary = await migrate(legacy, target, settings, values.json);
    if (values.json) await writeLine(JSON.stringify(summary));
    else await writeLine(summaryTable(summary));
    return EXIT.ok;
  } finally {
    await target?.close();
    await legacy.close();
  }
}

/** A tessera store that is down, or a table that is missing, fails here, before any work. */
async function probeTarget(target: OpenedStore): Promise<void> {
  try {
    await target.store.get("tessera-migrate-probe");
  } catch (error) {
    const cause = (error as { cause?: { code?: unknown } } | null)?.cause;
    if (!(error instanceof StoreUnavailableError) || cause?.code !== "42P01") throw error;
    throw new CliError(
      `no tessera table at ${target.where} (${cause instanceof Error ? cause.message : "missing"}): start the tessera app once with createTable on (the default), or create it with the statements from postgresTableDdl(); --to-table names it.`,
      EXIT.unreachable,
    );
  }
}

/** Walks the legacy records into the tessera store; the counts. */
async function migrate(
  legacy: OpenedLegacy,
  target: OpenedStore,
  settings: Settings,
  quiet: boolean,
): Promise<MigrateSummary> {
  const summary: MigrateSummary = {
    from: legacy.where,
    to: target.where,
    source: settings.sourceName,
    dryRun: settings.dryRun,
    moved: 0,
    skipped: 0,
    malformed: 0,
    deleted: 0,
  };
  const progress = new CountProgress(
    `tessera migrate${settings.dryRun ? " (dry run)" : ""}:`,
    quiet ? 0 : await legacy.count(),
    ...(quiet ? (["off"] as const) : []),
  );
  const pending = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  const copy = async (id: string, session: LegacySession): Promise<void> => {
    const written = await write(target.store, id, session, settings);
    if (!written) summary.malformed += 1;
    else {
      summary.moved += 1;
      if (settings.deleteLegacy) {
        await legacyCall(legacy.address, () => legacy.records.remove(id));
        summary.deleted += 1;
      }
    }
    progress.tick();
  };
  const iterator = legacy.records.entries()[Symbol.asyncIterator]();
  try {
    while (failure === undefined) {
      const next = await legacyCall(legacy.address, () => iterator.next());
      if (next.done) break;
      const entry = next.value;
      const session = sessionOfRecord(entry, Date.now());
      if (session === undefined) {
        // A record that is not JSON reads as `undefined`; JSON that is no live session is skipped.
        if (entry.record === undefined) summary.malformed += 1;
        else summary.skipped += 1;
        progress.tick();
        continue;
      }
      if (settings.dryRun) {
        if (tooDeep(session) === undefined) summary.moved += 1;
        else summary.malformed += 1;
        progress.tick();
        continue;
      }
      const task: Promise<void> = copy(entry.id, session).then(
        () => {
          pending.delete(task);
        },
        (error: unknown) => {
          pending.delete(task);
          failure ??= { error };
        },
      );
      pending.add(task);
      if (pending.size >= CONCURRENCY) await Promise.race(pending);
    }
  } finally {
    // The writes under way finish (or fail) before the stores are closed.
    await Promise.all(pending);
    progress.done();
  }
  if (failure !== undefined) {
    await iterator.return?.(undefined);
    throw failure.error;
  }
  return summary;
}

/**
 * The moved session's record, written as the engine writes one (SessionState.moveIn, then
 * StoreSessions' create): its data replacing whatever is under the derived id, the legacy end
 * kept in LEGACY_END_KEY, ending at the earlier of that end and the lifetime. False when
 * tessera cannot store the session (the reason on stderr).
 */
async function write(
  store: SessionStore,
  legacyId: string,
  session: LegacySession,
  settings: Settings,
): Promise<boolean> {
  const problem = tooDeep(session);
  if (problem !== undefined) {
    process.stderr.write(`tessera migrate: legacy session ${legacyId} not moved: ${problem}\n`);
    return false;
  }
  const now = Date.now();
  const set = movedData(session.data, session.expiresAt);
  const expiresAt = Math.min(
    now + settings.lifetimeMs,
    session.expiresAt ?? Number.POSITIVE_INFINITY,
  );
  const id = movedSessionId(settings.keyring, settings.sourceName, legacyId);
  try {
    await store.apply(
      id,
      { clear: true, set, delete: new Set() },
      { createdAt: now, expiresAt, mustExist: false },
    );
    return true;
  } catch (error) {
    // A value the store refuses (PostgreSQL's jsonb and "\u0000"): this session, not the run.
    if (!(error instanceof SessionValueError)) throw error;
    process.stderr.write(
      `tessera migrate: legacy session ${legacyId} not moved: ${error.message}\n`,
    );
    return false;
  }
}

/** Why the session cannot be stored, as the engine would refuse it (storable), or undefined. */
function tooDeep(session: LegacySession): string | undefined {
  for (const [key, value] of Object.entries(session.data)) {
    if (valueNestsDeeperThan(value, MAX_NESTING - 1)) {
      return tooDeepMessage(`The session value for key ${JSON.stringify(key)}`);
    }
  }
  return undefined;
}

function summaryTable(summary: MigrateSummary): string {
  const rows: [string, string][] = [
    ["from", summary.from],
    ["to", summary.to],
    ["source", summary.source],
    ["moved", String(summary.moved)],
    ["skipped", String(summary.skipped)],
    ["malformed", String(summary.malformed)],
  ];
  if (summary.deleted > 0) rows.push(["deleted", String(summary.deleted)]);
  if (summary.dryRun) rows.push(["dry run", "nothing was written; moved counts what would be"]);
  return keyValueTable(rows);
}
