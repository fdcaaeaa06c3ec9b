/**
 * Private PostgreSQL servers for fault tests, and a private PgBouncer in front of one:
 *
 * - `startPostgresServer()` runs initdb into a temp dir and starts `postgres` on a free loopback
 *   port (trust authentication, fsync off, no Unix socket). The test may SIGKILL it (the
 *   postmaster and every backend at once) and start it again on the same
 *   port and data dir; PostgreSQL then runs crash recovery, and what was committed before the
 *   kill is there after it (fsync off loses data only when the machine itself goes down).
 * - `startPgBouncer(server)` runs `pgbouncer` in transaction mode in front of a server.
 *
 * PostgreSQL's initdb and postgres, and pgbouncer, refuse to run as root, and the tests run as
 * root here and on CI: as root, every process runs as the `postgres` OS user, in a temp dir
 * owned by it.
 *
 * Nothing outlives the test process: `stop()` kills and removes; an exit hook does the same
 * synchronously when the process exits without calling it (a failed test); and a tiny `sh`
 * watchdog holding a pipe to this process kills the server and removes the dir even if
 * the process dies by SIGKILL. None of it keeps the event loop alive.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import {
  chownSync,
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { rm } from "node:fs/promises";
import type { Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import { freePort } from "./redis-server.ts";

export interface PostgresServerProcess {
  /** `postgres://postgres@127.0.0.1:<port>/postgres` */
  readonly url: string;
  readonly port: number;
  /** The temp dir: data/ (the cluster) and postgres.log. Removed by `stop()`. */
  readonly dir: string;
  /** Whether the postmaster is running (a test may have killed it). */
  readonly running: boolean;
  /**
   * SIGKILLs the postmaster and all its children (backends, checkpointer, walwriter...) at once
   * and resolves once none of them runs any more.
   */
  kill(): Promise<void>;
  /**
   * Starts the server again on the same port and data dir (killing it first if it runs) and
   * resolves once it answers a query (after crash recovery).
   */
  restart(): Promise<void>;
  /** Kills the server and removes its dir. Idempotent. */
  stop(): Promise<void>;
  /** The server's log so far (for failure messages). */
  log(): string;
}

export interface PgBouncerProcess {
  /** `postgres://postgres@127.0.0.1:<port>/postgres`, through PgBouncer. */
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  readonly running: boolean;
  /** Kills PgBouncer and removes its dir. Idempotent. */
  stop(): Promise<void>;
  log(): string;
}

export interface StartPostgresOptions {
  /** Extra server settings (`-c name=value`), after the defaults. */
  readonly settings?: Readonly<Record<string, string | number>>;
}

export interface StartPgBouncerOptions {
  /** Server connections per database and user (default 8). */
  readonly poolSize?: number;
  /** Extra `[pgbouncer]` settings, after the defaults. */
  readonly settings?: Readonly<Record<string, string | number>>;
}

const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 10_000;
const INSTALL_HINT =
  "install Debian's postgresql package (its binaries are in /usr/lib/postgresql/<version>/bin), or set PG_BIN to the directory holding initdb and postgres";

// --- binaries and the user they run as ---------------------------------------------------------

/** The directory holding initdb and postgres: PG_BIN, the newest Debian install, or PATH (""). */
function postgresBinDir(): string {
  if (process.env.PG_BIN) return process.env.PG_BIN;
  const debian = "/usr/lib/postgresql";
  if (existsSync(debian)) {
    const versions = readdirSync(debian)
      .filter((name) => existsSync(join(debian, name, "bin", "postgres")))
      .sort((a, b) => Number(b) - Number(a));
    if (versions[0] !== undefined) return join(debian, versions[0], "bin");
  }
  return "";
}

function postgresBinary(name: "initdb" | "postgres"): string {
  const dir = postgresBinDir();
  return dir === "" ? name : join(dir, name);
}

function pgBouncerBinary(): string {
  if (process.env.PGBOUNCER) return process.env.PGBOUNCER;
  return existsSync("/usr/sbin/pgbouncer") ? "/usr/sbin/pgbouncer" : "pgbouncer";
}

interface RunAs {
  readonly uid: number;
  readonly gid: number;
}

let runAsCache: RunAs | undefined | null = null;

/** As root, the `postgres` OS user's ids (the servers refuse root); otherwise undefined. */
function runAs(): RunAs | undefined {
  if (runAsCache !== null) return runAsCache;
  if (process.getuid?.() !== 0) {
    runAsCache = undefined;
    return undefined;
  }
  try {
    const uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim());
    const gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim());
    runAsCache = { uid, gid };
    return runAsCache;
  } catch (error) {
    throw new Error(
      "tests run as root, and PostgreSQL and PgBouncer refuse to: they run as the `postgres` OS user, which does not exist here (install Debian's postgresql package, or run the tests as another user)",
      { cause: error },
    );
  }
}

/** A temp dir the servers' user owns (mkdtemp makes it 0700, owned by whoever runs this). */
function makeDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const user = runAs();
  if (user) chownSync(dir, user.uid, user.gid);
  return dir;
}

function spawnOptions(logFd: number | "ignore", detached: boolean) {
  const user = runAs();
  return {
    stdio: ["ignore", logFd, logFd] as ["ignore", number | "ignore", number | "ignore"],
    detached,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", LANG: "C", LC_ALL: "C", TZ: "UTC" },
    ...(user ? { uid: user.uid, gid: user.gid } : {}),
  };
}

// --- processes and clean-up -------------------------------------------------------------------

interface Live {
  /** The server process (postmaster or pgbouncer). */
  child: ChildProcess | undefined;
  watchdog: ChildProcess | undefined;
  readonly dir: string;
}

/** Everything spawned by this process, killed (synchronously) when it exits. */
const live = new Set<Live>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once("exit", () => {
    for (const entry of live) {
      killTree(entry.child);
      try {
        rmSync(entry.dir, { recursive: true, force: true });
      } catch {}
      endWatchdog(entry.watchdog);
    }
  });
}

/**
 * Each process `/proc` lists as a child of `pid`, with its state ("Z" for a zombie); empty
 * where there is no `/proc`.
 */
function childrenOf(pid: number): { pid: number; state: string }[] {
  const children: { pid: number; state: string }[] = [];
  let names: string[];
  try {
    names = readdirSync("/proc");
  } catch {
    return children;
  }
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    const state = procState(Number(name));
    if (state !== undefined && state.ppid === pid)
      children.push({ pid: Number(name), state: state.state });
  }
  return children;
}

/** A process's state and parent from `/proc/<pid>/stat`; undefined when it is gone. */
function procState(pid: number): { state: string; ppid: number } | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // "pid (comm) state ppid ...": comm may hold spaces and parentheses.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return { state: fields[0] ?? "", ppid: Number(fields[1]) };
}

/**
 * Whether `pid` still runs. A killed backend's parent (the postmaster) is gone, so it is
 * reparented to an init that may never reap it: a zombie counts as gone.
 */
function running(pid: number): boolean {
  if (existsSync("/proc/self/stat")) {
    const state = procState(pid);
    return state !== undefined && state.state !== "Z" && state.state !== "X";
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * SIGKILLs `child` and its own children, synchronously; returns the pids it signalled. Every
 * PostgreSQL backend calls setsid(), so a kill of the postmaster's process group would miss
 * them: the postmaster is stopped first (it can fork no new backend), then its children are
 * listed and killed with it.
 */
function killTree(child: ChildProcess | undefined): number[] {
  const pid = child?.pid;
  if (pid === undefined || child?.exitCode !== null || child.signalCode !== null) return [];
  try {
    process.kill(pid, "SIGSTOP");
  } catch {}
  const pids = [pid, ...childrenOf(pid).map((c) => c.pid)];
  for (const target of pids.slice(1)) {
    try {
      process.kill(target, "SIGKILL");
    } catch {}
  }
  try {
    process.kill(pid, "SIGKILL");
  } catch {}
  return pids;
}

/** Sends SIGQUIT and resolves once `child` exited, or after `ms`. */
async function quit(child: ChildProcess | undefined, ms: number): Promise<void> {
  if (child?.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.ref();
  try {
    child.kill("SIGQUIT");
    // An unref'd timer: once the server is gone, nothing is left holding the process open.
    await Promise.race([exited, sleep(ms, undefined, { ref: false })]);
  } finally {
    child.unref();
  }
}

/** SIGKILLs `child` and its children and resolves once none of them runs any more. */
async function killAndWait(child: ChildProcess | undefined, what: string): Promise<void> {
  if (child?.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.ref();
  try {
    const pids = killTree(child);
    await exited;
    const deadline = Date.now() + STOP_TIMEOUT_MS;
    for (;;) {
      const survivors = pids.filter(running);
      if (survivors.length === 0) return;
      if (Date.now() > deadline) {
        throw new Error(`${what}: processes ${survivors.join(", ")} survived SIGKILL`);
      }
      for (const pid of survivors) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {}
      }
      await sleep(10);
    }
  } finally {
    child.unref();
  }
}

/**
 * A detached `sh` that blocks reading a pipe from this process. A line means "all is well, exit";
 * end of file (this process died, however it died) means "kill the server, remove the dir".
 */
function startWatchdog(pid: number, dir: string): ChildProcess | undefined {
  try {
    const watchdog = spawn(
      "sh",
      [
        "-c",
        // The postmaster's children exit by themselves soon after it dies; ps, where there is
        // one, lets the watchdog kill them at once.
        'read line && exit 0; kill -STOP "$1" 2>/dev/null; for c in $(ps -o pid= --ppid "$1" 2>/dev/null); do kill -9 "$c" 2>/dev/null; done; kill -9 "$1" 2>/dev/null; rm -rf "$2"; exit 0',
        "tessera-postgres-watchdog",
        String(pid),
        dir,
      ],
      { stdio: ["pipe", "ignore", "ignore"], detached: true },
    );
    watchdog.on("error", () => {});
    watchdog.stdin?.on("error", () => {});
    watchdog.unref();
    (watchdog.stdin as Socket | null)?.unref?.();
    return watchdog;
  } catch {
    return undefined;
  }
}

function endWatchdog(watchdog: ChildProcess | undefined): void {
  if (!watchdog || watchdog.exitCode !== null || watchdog.signalCode !== null) return;
  try {
    watchdog.stdin?.end("done\n");
  } catch {}
}

function readLog(file: string): () => string {
  return () => {
    try {
      return readFileSync(file, "utf8");
    } catch {
      return "";
    }
  };
}

function tail(text: string, lines = 20): string {
  return text.split("\n").slice(-lines).join("\n");
}

/** Runs a command to completion as the servers' user, its output appended to `logFile`. */
async function runToEnd(command: string, args: string[], logFile: string): Promise<void> {
  const fd = openSync(logFile, "a");
  try {
    const child = spawn(command, args, spawnOptions(fd, false));
    const outcome = await new Promise<{ code: number | null; error?: Error }>((resolve) => {
      child.once("error", (error) => resolve({ code: null, error }));
      child.once("exit", (code) => resolve({ code }));
    });
    if (outcome.error || outcome.code !== 0) {
      const reason =
        (outcome.error as NodeJS.ErrnoException | undefined)?.code === "ENOENT"
          ? `${command} not found: ${INSTALL_HINT}`
          : `${command} failed (${outcome.error?.message ?? `exit code ${outcome.code}`})`;
      throw new Error(`${reason}; its output:\n${tail(readLog(logFile)())}`);
    }
  } finally {
    closeSync(fd);
  }
}

/** Whether a query gets an answer at `url` within `timeoutMs`. */
async function answers(url: string, timeoutMs: number): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
  client.on("error", () => {});
  try {
    await client.connect();
    await client.query("SELECT 1");
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Spawns `command` detached (out of the test's process group and terminal signals), logs
 * to `logFile`, and resolves once `url` answers a query; rejects with the log's tail when it
 * exits first or takes too long.
 */
async function launch(
  entry: Live,
  command: string,
  args: string[],
  logFile: string,
  url: string,
  what: string,
): Promise<void> {
  const fd = openSync(logFile, "a");
  let child: ChildProcess;
  try {
    child = spawn(command, args, spawnOptions(fd, true));
  } finally {
    closeSync(fd);
  }
  entry.child = child;
  const spawnError = new Promise<Error>((resolve) => child.once("error", resolve));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  if (child.pid !== undefined) {
    endWatchdog(entry.watchdog);
    entry.watchdog = startWatchdog(child.pid, entry.dir);
  }
  // Keep the event loop alive while waiting for the server (the child itself is unref'd after).
  try {
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      const outcome = await Promise.race([
        spawnError.then((error) => ({ error })),
        exited.then(() => ({ exited: true as const })),
        answers(url, 1_000).then((ok) => ({ ok })),
      ]);
      if ("error" in outcome) {
        throw new Error(
          (outcome.error as NodeJS.ErrnoException).code === "ENOENT"
            ? `${command} not found: ${INSTALL_HINT}`
            : `could not run ${command}: ${outcome.error.message}`,
        );
      }
      if ("exited" in outcome) {
        await sleep(20); // let the log reach the file
        throw new Error(
          `${what} exited with ${child.exitCode ?? child.signalCode} before answering; its log:\n${tail(readLog(logFile)())}`,
        );
      }
      if (outcome.ok) return;
      if (Date.now() > deadline) {
        throw new Error(
          `${what} did not answer within ${START_TIMEOUT_MS} ms; its log:\n${tail(readLog(logFile)())}`,
        );
      }
      await sleep(25);
    }
  } catch (error) {
    await killAndWait(child, what).catch(() => undefined);
    throw error;
  } finally {
    child.unref();
  }
}

function settingsArgs(settings: Readonly<Record<string, string | number>>): string[] {
  return Object.entries(settings).flatMap(([name, value]) => ["-c", `${name}=${value}`]);
}

// --- PostgreSQL ----------------------------------------------------------------------------------

/**
 * A private PostgreSQL cluster on a free loopback port, answering queries as `postgres` with
 * trust authentication; resolves once it answers a query.
 */
export async function startPostgresServer(
  options: StartPostgresOptions = {},
): Promise<PostgresServerProcess> {
  installExitHook();
  const dir = makeDir("tessera-pg-");
  const entry: Live = { child: undefined, watchdog: undefined, dir };
  live.add(entry);
  const dataDir = join(dir, "data");
  const logFile = join(dir, "postgres.log");
  const log = readLog(logFile);
  let port = 0;
  let stopped = false;
  const urlOf = () => `postgres://postgres@127.0.0.1:${port}/postgres`;

  const start = async (): Promise<void> => {
    const args = [
      "-D",
      dataDir,
      ...settingsArgs({
        port,
        listen_addresses: "127.0.0.1",
        unix_socket_directories: "",
        fsync: "off",
        full_page_writes: "off",
        max_connections: 100,
        shared_buffers: "16MB",
        ...options.settings,
      }),
    ];
    await launch(
      entry,
      postgresBinary("postgres"),
      args,
      logFile,
      urlOf(),
      `postgres on port ${port}`,
    );
  };

  const kill = async (): Promise<void> => {
    const child = entry.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await killAndWait(child, `postgres on port ${port}`);
    // It is gone: a watchdog must not kill whatever later gets the same pid.
    endWatchdog(entry.watchdog);
    entry.watchdog = undefined;
  };

  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    try {
      // An immediate shutdown (SIGQUIT) lets the postmaster end and reap its own children,
      // where SIGKILL leaves them to an init that may not reap them; SIGKILL if it lingers.
      await quit(entry.child, 5_000);
      await kill();
    } finally {
      endWatchdog(entry.watchdog);
      live.delete(entry);
      await rm(dir, { recursive: true, force: true });
    }
  };

  try {
    await runToEnd(
      postgresBinary("initdb"),
      [
        "-D",
        dataDir,
        "-U",
        "postgres",
        "--auth=trust",
        "--encoding=UTF8",
        "--locale=C",
        "--no-sync",
        "--no-instructions",
      ],
      logFile,
    );
    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      try {
        await start();
        break;
      } catch (error) {
        // Another process took the port between freePort() and the bind: try another one.
        if (attempt >= 5 || !/already in use/i.test(tail(log()))) throw error;
      }
    }
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    get url() {
      return urlOf();
    },
    port,
    dir,
    get running() {
      const child = entry.child;
      return !!child && child.exitCode === null && child.signalCode === null;
    },
    kill,
    async restart() {
      if (stopped) throw new Error(`postgres on port ${port} was stopped; it cannot restart`);
      await kill();
      await start();
    },
    stop,
    log,
  };
}

// --- PgBouncer -----------------------------------------------------------------------------------

/**
 * A private PgBouncer in transaction mode (a server connection is lent for one transaction
 * only) on a free loopback port, in front of `server`; every database name is passed through.
 */
export async function startPgBouncer(
  server: { readonly port: number },
  options: StartPgBouncerOptions = {},
): Promise<PgBouncerProcess> {
  installExitHook();
  const dir = makeDir("tessera-pgbouncer-");
  const entry: Live = { child: undefined, watchdog: undefined, dir };
  live.add(entry);
  const logFile = join(dir, "pgbouncer.log");
  const log = readLog(logFile);
  const user = runAs();
  let port = 0;
  let stopped = false;

  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    try {
      await killAndWait(entry.child, `pgbouncer on port ${port}`);
    } finally {
      endWatchdog(entry.watchdog);
      live.delete(entry);
      await rm(dir, { recursive: true, force: true });
    }
  };

  try {
    // trust still needs the user in the auth file.
    const userlist = join(dir, "userlist.txt");
    writeFileSync(userlist, '"postgres" ""\n');
    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      const settings: Record<string, string | number> = {
        listen_addr: "127.0.0.1",
        listen_port: port,
        unix_socket_dir: "",
        auth_type: "trust",
        auth_file: userlist,
        pool_mode: "transaction",
        default_pool_size: options.poolSize ?? 8,
        max_client_conn: 500,
        // Startup parameters the drivers send that PgBouncer does not track itself.
        ignore_startup_parameters: "extra_float_digits,options",
        server_login_retry: 1,
        admin_users: "postgres",
        ...options.settings,
      };
      const ini = [
        "[databases]",
        `* = host=127.0.0.1 port=${server.port}`,
        "",
        "[pgbouncer]",
        ...Object.entries(settings).map(([name, value]) => `${name} = ${value}`),
        "",
      ].join("\n");
      const config = join(dir, "pgbouncer.ini");
      writeFileSync(config, ini);
      if (user) {
        for (const file of [config, userlist]) chownSync(file, user.uid, user.gid);
      }
      try {
        await launch(
          entry,
          pgBouncerBinary(),
          [config],
          logFile,
          `postgres://postgres@127.0.0.1:${port}/postgres`,
          `pgbouncer on port ${port}`,
        );
        break;
      } catch (error) {
        if (attempt >= 5 || !/already in use/i.test(tail(log()))) throw error;
      }
    }
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    dir,
    get running() {
      const child = entry.child;
      return !!child && child.exitCode === null && child.signalCode === null;
    },
    stop,
    log,
  };
}
