import { PythonOracle } from "../support/python-oracle.ts";

const SCRIPT = new URL("./flask_oracle.py", import.meta.url).pathname;

/**
 * The real Flask, one Python process answering JSON requests line by line (see
 * flask_oracle.py). Close it in `after`.
 */
export class FlaskOracle extends PythonOracle {
  constructor() {
    super(SCRIPT, "Debian's python3-flask");
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
}
