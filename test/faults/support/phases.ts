/**
 * Every fault of test/faults/, as a phase the acknowledged-writes test runs under load: set up
 * an app on a store, start the fault, end it. Each phase's app is served over real HTTP
 * through tessera/node, as in the single-fault tests.
 */
import { randomBytes } from "node:crypto";
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { createSessions, type SessionManager } from "../../../src/engine/manager.ts";
import { sqliteStore } from "../../../src/stores/sqlite.ts";
import { type Served, type Shape, serveFaultApp } from "./app.ts";
import { proxiedSessions, type StoreName } from "./proxied-stores.ts";
import { holdSqliteLock, type SqliteLocker } from "./sqlite-locker.ts";
import { mountSmallDisk } from "./tmpfs.ts";
import { idOfCookie, type Visitor } from "./visitor.ts";

export interface RunningPhase {
  readonly base: string;
  /** Starts the fault; `visitors` are the ones browsing, for faults aimed at their records. */
  induce(visitors: readonly Visitor[]): Promise<void>;
  /** Ends the fault. */
  recover(): Promise<void>;
  close(): Promise<void>;
}

export interface Phase {
  readonly name: string;
  start(): Promise<RunningPhase>;
}

async function serve(
  sessions: SessionManager<Shape>,
  closeStore: () => Promise<void>,
): Promise<{ served: Served; close(): Promise<void> }> {
  const served = await serveFaultApp(sessions);
  return {
    served,
    async close() {
      await served.close();
      await closeStore();
    },
  };
}

function sqliteSessions(path: string): SessionManager<Shape> {
  return createSessions<Shape>({
    secret: randomBytes(32).toString("base64url"),
    store: sqliteStore({ path, sweepInterval: false }),
  });
}

const sqliteLocked: Phase = {
  name: "SQLite locked by another process",
  async start() {
    const dir = mkdtempSync(join(tmpdir(), "tessera-faults-ack-"));
    const path = join(dir, "sessions.db");
    const sessions = sqliteSessions(path);
    const app = await serve(sessions, () => sessions.close());
    let locker: SqliteLocker | undefined;
    return {
      base: app.served.url,
      induce: async () => {
        locker = await holdSqliteLock(path, "exclusive");
      },
      recover: async () => {
        await locker?.release();
      },
      async close() {
        locker?.kill();
        await app.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};

const sqliteDiskFull: Phase = {
  name: "SQLite on a full disk",
  async start() {
    const disk = mountSmallDisk("1m");
    const sessions = sqliteSessions(join(disk.dir, "sessions.db"));
    const app = await serve(sessions, () => sessions.close());
    const filler = join(disk.dir, "filler");
    return {
      base: app.served.url,
      induce: async () => fillDisk(filler),
      recover: async () => rmSync(filler, { force: true }),
      async close() {
        await app.close();
        disk.remove();
      },
    };
  },
};

/** Writes `path` until the file system has no byte left. */
function fillDisk(path: string): void {
  const fd = openSync(path, "w");
  try {
    for (const size of [64 * 1024, 4 * 1024, 512, 1]) {
      const chunk = Buffer.alloc(size, 1);
      try {
        for (;;) writeSync(fd, chunk);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ENOSPC") throw error;
      }
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * One visitor's record is overwritten with garbage from outside. Its acknowledged writes are
 * gone by the corruption itself, not by tessera, so the visitor is told its session may be
 * gone; every other visitor must lose nothing, and the corrupted one must be served a fresh
 * session (the ledger counts any 500 as wrong).
 */
const sqliteCorrupt: Phase = {
  name: "SQLite rows corrupted from outside",
  async start() {
    const dir = mkdtempSync(join(tmpdir(), "tessera-faults-ack-"));
    const path = join(dir, "sessions.db");
    const sessions = sqliteSessions(path);
    const app = await serve(sessions, () => sessions.close());
    const outside = new DatabaseSync(path);
    return {
      base: app.served.url,
      induce: async (visitors) => {
        const victim = visitors.find((visitor) => visitor.cookie !== undefined);
        if (victim?.cookie === undefined) return;
        victim.mayBeGone = true;
        outside
          .prepare("UPDATE tessera_sessions SET data = ? WHERE id = ?")
          .run('["not", "an", "object"]', idOfCookie(victim.cookie));
      },
      recover: async () => {},
      async close() {
        outside.close();
        await app.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};

/** Redis or PostgreSQL behind the proxy, slowed far past the deadline. */
function slowStore(store: StoreName): Phase {
  return {
    name: `${store} answering slowly`,
    async start() {
      const proxied = await proxiedSessions(store);
      const app = await serve(proxied.sessions, () => proxied.close());
      return {
        base: app.served.url,
        induce: async () => proxied.proxy.setLatency(1_000),
        recover: async () => proxied.proxy.setLatency(0),
        close: () => app.close(),
      };
    },
  };
}

/** Redis or PostgreSQL behind the proxy, each write cut after it reached the server. */
function droppedWrites(store: StoreName, marker: string): Phase {
  return {
    name: `${store} connections dropped mid-write`,
    async start() {
      const proxied = await proxiedSessions(store);
      const app = await serve(proxied.sessions, () => proxied.close());
      let cutting = false;
      const arm = (): void => {
        if (!cutting) return;
        // Re-armed after each cut, once the client had a moment to reconnect.
        void proxied.proxy
          .cutAfter((chunk) => chunk.includes(marker))
          .then(() => setTimeout(arm, 100));
      };
      return {
        base: app.served.url,
        induce: async () => {
          cutting = true;
          arm();
        },
        recover: async () => {
          cutting = false;
          proxied.proxy.disarm();
        },
        close: () => app.close(),
      };
    },
  };
}

export const PHASES: readonly Phase[] = [
  sqliteLocked,
  sqliteDiskFull,
  sqliteCorrupt,
  slowStore("redis"),
  slowStore("postgres"),
  droppedWrites("redis", "EVAL"),
  droppedWrites("postgres", '"count":'),
];
