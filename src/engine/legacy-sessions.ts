/**
 * `migrateFrom`: the sessions of the library an app used before tessera, taken over the first
 * time each user comes back. StoreSessions asks this only for a request that has no live
 * tessera session, so every other request pays one cookie lookup per source, no more.
 *
 * A legacy session moves to a tessera session whose id is derived from the legacy one (an HMAC
 * keyed by tessera's secret: unguessable, and the same every time), so two requests moving the
 * same session at once, or `tessera migrate` ahead of them, arrive at one session instead of
 * several. The legacy record is authoritative while it exists (the old app may still be
 * serving); once it is gone, the moved session is found under the derived id.
 */
import type { Cookies, CookieWriter } from "../cookies/jar.ts";
import type { Keyring } from "../crypto/keyring.ts";
import { reportMigration, sessionRefOf } from "../diagnostics.ts";
import type { LegacyCookie, LegacySession, LegacySource } from "../migrate/source.ts";
import type { Deadlines } from "../util/deadlines.ts";
import { withDeadline } from "./timed-store.ts";

/** The keyring purpose of derived ids, so they match no other signature tessera makes. */
const MOVED_ID_PURPOSE = "legacy-session-id";

/** The tessera session id a legacy session moves to: the same for the engine and the CLI. */
export function movedSessionId(keyring: Keyring, sourceName: string, key: string): string {
  return keyring.sign(MOVED_ID_PURPOSE, `${sourceName}\n${key}`);
}

/** A legacy cookie met on a request: verified (`cookie`), or refused (no `cookie`). */
export interface LegacyVisit {
  readonly source: LegacySource;
  readonly cookie: LegacyCookie | undefined;
}

export class LegacySessions {
  readonly #sources: readonly LegacySource[];
  readonly #keepLegacy: boolean;
  readonly #keyring: Keyring;
  readonly #deadlines: Deadlines;
  /** tessera's own cookie name: a legacy cookie of that name is replaced, never cleared. */
  readonly #ownCookieName: string;

  constructor(options: {
    sources: readonly LegacySource[];
    keepLegacy: boolean;
    keyring: Keyring;
    deadlines: Deadlines;
    ownCookieName: string;
  }) {
    this.#sources = options.sources;
    this.#keepLegacy = options.keepLegacy;
    this.#keyring = options.keyring;
    this.#deadlines = options.deadlines;
    this.#ownCookieName = options.ownCookieName;
  }

  /**
   * The first legacy cookie of the request that verifies, else the first refused one (to be
   * cleared), else undefined. No I/O.
   */
  find(cookies: Cookies): LegacyVisit | undefined {
    let refused: LegacyVisit | undefined;
    for (const source of this.#sources) {
      const finding = source.find(cookies);
      if (finding.kind === "found") return { source, cookie: finding.cookie };
      if (finding.kind === "rejected") {
        reportMigration({ source: source.name, outcome: "rejected", reason: finding.reason });
        refused ??= { source, cookie: undefined };
      }
    }
    return refused;
  }

  /** The live legacy session `visit` leads to, read within the store deadline. */
  read(visit: LegacyVisit, now: number): Promise<LegacySession | undefined> {
    const { source, cookie } = visit;
    if (cookie === undefined) return Promise.resolve(undefined);
    return withDeadline("migrate", source.name, this.#deadlines, async () =>
      source.read(cookie, now),
    );
  }

  /** The tessera id `visit`'s session moves to. */
  movedId(visit: LegacyVisit & { cookie: LegacyCookie }): string {
    return movedSessionId(this.#keyring, visit.source.name, visit.cookie.key);
  }

  /**
   * Where it may have moved already, newest secret first: a session `tessera migrate` copied
   * before the secret was rotated is under an older secret's id.
   */
  movedIds(visit: LegacyVisit & { cookie: LegacyCookie }): string[] {
    return this.#keyring.signEach(MOVED_ID_PURPOSE, `${visit.source.name}\n${visit.cookie.key}`);
  }

  reportMoved(visit: LegacyVisit, id: string): void {
    reportMigration({ source: visit.source.name, outcome: "moved", sessionRef: sessionRefOf(id) });
  }

  reportUnknown(visit: LegacyVisit): void {
    reportMigration({ source: visit.source.name, outcome: "unknown" });
  }

  /**
   * After the request's session is durable: the legacy cookie is cleared and its record
   * deleted, unless `keepLegacy` asked to leave both while the session lives on in tessera.
   * A session that ended (or never began) takes its legacy twin with it in every mode, or the
   * next request would bring it back. A failed delete is reported, not thrown: the user's
   * session is safe in tessera, and the record ends at its own expiry.
   */
  settle(
    visit: LegacyVisit,
    writer: CookieWriter,
    secure: boolean,
    sessionLives: boolean,
  ): Promise<void> | undefined {
    if (this.#keepLegacy && sessionLives) return undefined;
    for (const { name, options } of visit.source.cookies) {
      if (name !== this.#ownCookieName) writer.delete(name, { ...options, secure });
    }
    const { source, cookie } = visit;
    if (cookie === undefined) return undefined;
    let deleting: Promise<void> | undefined;
    try {
      deleting = source.forget(cookie);
    } catch (error) {
      deleting = Promise.reject(error);
    }
    if (deleting === undefined) return undefined;
    return withDeadline("migrate", source.name, this.#deadlines, () => deleting).then(
      undefined,
      (error: unknown) => {
        reportMigration({
          source: source.name,
          outcome: "cleanup-failed",
          error: error instanceof Error ? error : new Error(String(error)),
        });
      },
    );
  }
}
