import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { createInterface } from "node:readline";

/** Debian's Python with Flask; another python3 may come first on PATH. */
const PYTHON = "/usr/bin/python3";
const SCRIPT = new URL("./flask_oracle.py", import.meta.url).pathname;

/**
 * The real Flask, one Python process answering JSON requests line by line (see
 * flask_oracle.py). Close it in `after`.
 */
export class FlaskOracle {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #waiting: Array<{ resolve: (answer: unknown) => void; reject: (error: Error) => void }> =
    [];
  #stderr = "";

  constructor() {
    this.#child = spawn(PYTHON, [SCRIPT], { stdio: ["pipe", "pipe", "pipe"] });
    this.#child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      this.#stderr += chunk;
    });
    createInterface({ input: this.#child.stdout }).on("line", (line) => {
      const answer = JSON.parse(line) as { failure?: string };
      const waiter = this.#waiting.shift();
      if (waiter === undefined) return;
      if (answer.failure === undefined) waiter.resolve(answer);
      else waiter.reject(new Error(`flask_oracle.py: ${answer.failure}`));
    });
    this.#child.on("exit", (code) => {
      const error = new Error(
        `flask_oracle.py exited (${code}); needs Debian's python3-flask for ${PYTHON}.\n${this.#stderr}`,
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

  /** Flask's session cookie for the Python expression `data`, signed at `timestamp`. */
  async dumps(data: string, secret: string | string[], timestamp: number): Promise<string> {
    return (await this.request<{ cookie: string }>({ op: "dumps", data, secret, timestamp }))
      .cookie;
  }

  /** Flask loads `cookie` and re-dumps the data at `timestamp`. */
  async redump(cookie: string, secret: string | string[], timestamp: number): Promise<string> {
    const answer = await this.request<{ cookie: string }>({
      op: "redump",
      cookie,
      secret,
      timestamp,
    });
    return answer.cookie;
  }

  loads(request: {
    cookie: string;
    secret: string | string[];
    max_age?: number;
    now?: number;
    expect?: string;
  }): Promise<{ ok: true; same?: boolean; repr: string } | { ok: false; error: string }> {
    return this.request({ op: "loads", ...request });
  }

  async floatRepr(values: readonly number[]): Promise<string[]> {
    const answer = await this.request<{ reprs: string[] }>({
      op: "float_repr",
      values: values.map((value) => (Object.is(value, -0) ? "-0" : String(value))),
    });
    return answer.reprs;
  }

  close(): void {
    this.#child.stdin.end();
  }
}
