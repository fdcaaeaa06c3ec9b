/**
 * Server child processes: each contender runs alone in its own process, so one contender's
 * garbage, JIT state or SQLite cache never slows another. Every child started here is tracked
 * and killed when the run ends, however it ends.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";
import { createInterface } from "node:readline";

export interface ServerChild {
  readonly pid: number;
  readonly port: number;
  readonly origin: string;
  /** Asks the server to exit (so a --cpu-prof profile gets written); kills it if it lingers. */
  stop(): Promise<void>;
}

const SERVERS_DIR = join(import.meta.dirname, "servers");
const START_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 5_000;
const live = new Set<ChildProcess>();

export async function startServer(
  script: string,
  env: Readonly<Record<string, string>>,
  nodeFlags: readonly string[] = [],
): Promise<ServerChild> {
  // stdin stays a pipe: the child exits when it closes, should this process die unannounced.
  const child = spawn(process.execPath, [...nodeFlags, join(SERVERS_DIR, script)], {
    env: { ...process.env, ...env },
    stdio: ["pipe", "pipe", "inherit"],
  });
  live.add(child);
  child.once("exit", () => live.delete(child));
  try {
    const port = await readPort(child, script);
    return {
      pid: child.pid as number,
      port,
      origin: `http://127.0.0.1:${port}`,
      stop: () => stopChild(child),
    };
  } catch (error) {
    child.kill("SIGKILL");
    throw error;
  }
}

/** The first stdout line is the port; whatever follows is drained so the child never blocks. */
async function readPort(child: ChildProcess, script: string): Promise<number> {
  const stdout = child.stdout;
  if (stdout === null) throw new Error(`${script}: no stdout pipe.`);
  const lines = createInterface({ input: stdout });
  const exited = once(child, "exit").then(([code, signal]) => {
    throw new Error(
      `${script} exited (code ${String(code)}, signal ${String(signal)}) before printing its port; its stderr is above.`,
    );
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${script} did not print its port within ${START_TIMEOUT_MS} ms.`)),
      START_TIMEOUT_MS,
    );
  });
  const firstLine = once(lines, "line").then(([line]) => String(line));
  try {
    const line = await Promise.race([firstLine, exited, timeout]);
    const port = Number(line.trim());
    if (!Number.isInteger(port) || port <= 0) {
      throw new Error(`${script} printed ${JSON.stringify(line)} instead of its port.`);
    }
    return port;
  } finally {
    clearTimeout(timer);
    exited.catch(() => {}); // the child exiting later is stop()'s business, not an error here
    lines.on("line", () => {});
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

/**
 * Pins a running server, every thread it has (the JS thread, GC helpers, libuv's pool) and any
 * it starts later, to one core: how Node runs in production (one process per core), and what
 * keeps a contender from spilling its garbage collection onto the load generator's core, which
 * would flatter whichever allocates most. Servers start unpinned, so that booting them is quick.
 */
export function pinToCore(pid: number, cpu: number): void {
  execFileSync("taskset", ["--all-tasks", "--cpu-list", "--pid", String(cpu), String(pid)], {
    stdio: "ignore",
  });
}

/** Stops every child still running, politely first. */
export async function stopAllServers(): Promise<void> {
  await Promise.all([...live].map(stopChild));
}

/** The last resort, from a synchronous 'exit' handler: no waiting, no profiles. */
export function killAllServersNow(): void {
  for (const child of live) child.kill("SIGKILL");
}
