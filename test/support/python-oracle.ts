import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { createInterface } from "node:readline";

/** Debian's Python, whose python3-* packages the oracles need; another python3 may come first on PATH. */
export const PYTHON = "/usr/bin/python3";

/**
 * A Python script answering one JSON request per line with one JSON line, in order; an answer
 * `{"failure": message}` rejects. Close it in `after`.
 */
export class PythonOracle {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #waiting: Array<{ resolve: (answer: unknown) => void; reject: (error: Error) => void }> =
    [];
  #stderr = "";

  /** `script` is a path; `needs` names the Debian packages it imports, for the failure message. */
  constructor(script: string, needs: string) {
    this.#child = spawn(PYTHON, [script], { stdio: ["pipe", "pipe", "pipe"] });
    this.#child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      this.#stderr += chunk;
    });
    createInterface({ input: this.#child.stdout }).on("line", (line) => {
      const answer = JSON.parse(line) as { failure?: string };
      const waiter = this.#waiting.shift();
      if (waiter === undefined) return;
      if (answer.failure === undefined) waiter.resolve(answer);
      else waiter.reject(new Error(`${script}: ${answer.failure}`));
    });
    this.#child.on("exit", (code) => {
      const error = new Error(
        `${script} exited (${code}); it needs ${needs} for ${PYTHON}.\n${this.#stderr}`,
      );
      for (const waiter of this.#waiting.splice(0)) waiter.reject(error);
    });
  }

  request<T>(request: Record<string, unknown>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#waiting.push({ resolve: resolve as (answer: unknown) => void, reject });
      this.#child.stdin.write(`${JSON.stringify(request)}\n`);
    });
  }

  close(): void {
    this.#child.stdin.end();
    this.#child.kill();
  }
}
