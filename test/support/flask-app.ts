import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { PYTHON } from "./python-oracle.ts";

/** A Python web app the tests started, listening on 127.0.0.1. */
export interface RunningFlaskApp {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** Stops it (idempotent); it also stops when this process exits, or when its stdin closes. */
  close(): Promise<void>;
}

/**
 * Starts `script` with Debian's Python (`/usr/bin/python3 script PORT ...args`, port 0), waits
 * for the line `READY <port>` on its stdout, and kills it when the test process exits even if
 * `close` is never called. The script should exit when its stdin closes, so that it never
 * outlives a test process that was killed outright.
 */
export async function startFlaskApp(
  script: string,
  options: { args?: readonly string[]; env?: Record<string, string>; needs?: string } = {},
): Promise<RunningFlaskApp> {
  const child = spawn(PYTHON, [script, "0", ...(options.args ?? [])], {
    stdio: ["pipe", "pipe", "pipe"],
    env: { ...process.env, PYTHONUNBUFFERED: "1", ...options.env },
  });
  const killOnExit = () => child.kill("SIGKILL");
  process.on("exit", killOnExit);
  let stderr = "";
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    // Keep the tail only: a long run must not grow this without bound.
    stderr = (stderr + chunk).slice(-20_000);
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout as NonNullable<typeof child.stdout> });
    lines.on("line", (line) => {
      const match = /^READY (\d+)$/.exec(line);
      if (match) resolve(Number(match[1]));
    });
    child.once("error", reject);
    child.once("exit", (code, signal) =>
      reject(
        new Error(
          `${script} exited (${code ?? signal}) before it was ready; it needs ${options.needs ?? "python3-flask"} for ${PYTHON}.\n${stderr}`,
        ),
      ),
    );
  });
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      process.off("exit", killOnExit);
      if (child.exitCode === null && child.signalCode === null) {
        child.stdin?.end();
        child.kill();
        await exited;
      }
    },
  };
}
