import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const SERVER = fileURLToPath(new URL("../../demo/server.ts", import.meta.url));

export interface DemoProcess {
  readonly url: string;
  readonly output: () => string;
  /** Sends SIGTERM and resolves to the exit code once the process has exited. */
  stop(): Promise<number | null>;
}

/** Spawns `demo/server.ts` as `npm start` would, in `cwd`, collecting what it prints. */
function spawnDemo(
  cwd: string,
  env: Record<string, string>,
): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, [SERVER], {
    cwd,
    env: { ...withoutDemoSettings(process.env), PORT: "0", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (chunk) => {
    output += chunk;
  });
  child.stderr?.on("data", (chunk) => {
    output += chunk;
  });
  return { child, output: () => output };
}

/** Starts the demo on a free port and resolves once it says where it listens. */
export function startDemo(cwd: string, env: Record<string, string> = {}): Promise<DemoProcess> {
  const { child, output } = spawnDemo(cwd, env);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => fail(new Error(`demo did not start in 10 s:\n${output()}`)),
      10_000,
    );
    const fail = (error: Error): void => {
      clearTimeout(timer);
      child.kill("SIGKILL");
      reject(error);
    };
    child.stdout?.on("data", () => {
      const match = /listening on (http:\/\/[\d.]+:\d+)/.exec(output());
      if (match?.[1]) {
        clearTimeout(timer);
        resolve({ url: match[1], output, stop: () => stopProcess(child) });
      }
    });
    child.once("exit", (code) => fail(new Error(`demo exited with ${code}:\n${output()}`)));
  });
}

/**
 * Starts several demos at once (the "many machines" tests). If one fails to start, the others
 * are stopped before the error is thrown: a demo left running would keep the test file's
 * process alive after its tests, and the whole run would wait on it.
 */
export async function startDemos(
  cwds: readonly string[],
  env: Record<string, string>,
): Promise<DemoProcess[]> {
  const started = await Promise.allSettled(cwds.map((cwd) => startDemo(cwd, env)));
  const failed = started.find((result) => result.status === "rejected");
  if (failed === undefined) {
    return started.map((result) => (result as PromiseFulfilledResult<DemoProcess>).value);
  }
  await Promise.all(
    started.map((result) => (result.status === "fulfilled" ? result.value.stop() : undefined)),
  );
  throw failed.reason;
}

/** Runs the demo expecting it to refuse to start; resolves to its exit code and output. */
export function runDemoExpectingExit(
  cwd: string,
  env: Record<string, string>,
): Promise<{ code: number | null; output: string }> {
  const { child, output } = spawnDemo(cwd, env);
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  return new Promise((resolve) =>
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, output: output() });
    }),
  );
}

function stopProcess(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => {
    child.once("exit", (code) => resolve(code));
    child.kill("SIGTERM");
  });
}

function withoutDemoSettings(env: NodeJS.ProcessEnv): Record<string, string> {
  const copy: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (
      value !== undefined &&
      !["PORT", "SECRET_KEY", "SESSION_STORE", "SESSION_PREFIX", "HOST"].includes(key)
    )
      copy[key] = value;
  }
  return copy;
}
