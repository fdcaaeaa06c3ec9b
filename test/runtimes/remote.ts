/**
 * Runs the shared suites against a server in Bun or Deno: each `serve` starts test/runtimes/
 * child.ts under that runtime with the config as JSON, waits for its `LISTENING <url>` line,
 * and reaches its store through the probe endpoint.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { type AdapterHarness, PROBE_PATH } from "../behaviour/app.ts";
import { remoteProbe } from "../behaviour/fixture.ts";
import { bunBinary, denoBinary } from "./binaries.ts";

export type Runtime = "bun" | "deno";

const CHILD = fileURLToPath(new URL("./child.ts", import.meta.url));
/** Starting a runtime on a loaded CI machine can take a while; a hung one must still fail. */
const START_TIMEOUT_MS = 45_000;

function command(runtime: Runtime, server: string): { file: string; args: string[] } {
  if (runtime === "bun") return { file: bunBinary(), args: [CHILD, server] };
  return {
    file: denoBinary(),
    args: [
      "run",
      "--no-prompt",
      "--cached-only",
      // Loopback only; the environment (Express and node-redis read it); the host name
      // (Fastify's logger, pino, reads it); the repository's files (dynamic imports) and
      // temporary SQLite files.
      "--allow-net=127.0.0.1",
      "--allow-env",
      "--allow-sys=hostname",
      "--allow-read",
      `--allow-write=${tmpdir()}`,
      CHILD,
      server,
    ],
  };
}

/** The harness for `server` (an AdapterServer's name) on `runtime`. */
export function remoteHarness(runtime: Runtime, server: string): AdapterHarness {
  return {
    name: `${server} on ${runtime === "bun" ? "Bun" : "Deno"}`,
    sqlite: true,
    async serve(config) {
      const { file, args } = command(runtime, server);
      const child = spawn(file, args, {
        stdio: ["pipe", "pipe", "pipe"],
        env: {
          ...process.env,
          TESSERA_TEST_CONFIG: JSON.stringify(config),
          DENO_NO_UPDATE_CHECK: "1",
          DENO_DIR: mkdtempSync(join(tmpdir(), "tessera-deno-")),
          NO_COLOR: "1",
        },
      });
      const url = await listening(child, `${server} on ${runtime}`);
      const post = async (op: string) => {
        const response = await fetch(new URL(PROBE_PATH, url), {
          method: "POST",
          body: JSON.stringify({ op, args: [] }),
        });
        return ((await response.json()) as { result: string[] }).result;
      };
      return {
        url,
        store: config.store === undefined ? undefined : remoteProbe(url),
        errorsLogged: () => post("errorsLogged"),
        close: () => stop(child),
      };
    },
  };
}

/** The child's URL, once it says it listens; its stderr goes to this process's. */
function listening(child: ChildProcess, what: string): Promise<string> {
  const stderr: string[] = [];
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr.push(String(chunk));
    process.stderr.write(chunk);
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${what} did not start within ${START_TIMEOUT_MS} ms:\n${stderr.join("")}`));
    }, START_TIMEOUT_MS);
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    lines.on("line", (line) => {
      if (!line.startsWith("LISTENING ")) return;
      clearTimeout(timer);
      resolve(line.slice("LISTENING ".length).trim());
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited (${code}) before it listened:\n${stderr.join("")}`));
    });
  });
}

/** Asks the child to stop (its stdin ends), and kills it if it does not within 5 s. */
function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.stdin?.end();
  });
}
