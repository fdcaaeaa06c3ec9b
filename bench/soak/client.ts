/**
 * The soak's HTTP client: node:http over a keep-alive agent with a fixed number of sockets, so
 * the server sees a steady set of connections (a growing one would hide a handle leak), and
 * the session cookie kept as a browser keeps it.
 */
import { Agent, request } from "node:http";

export interface Answer {
  readonly status: number;
  readonly body: string;
  /** The session cookie's new value; "" when the response deleted it; undefined when untouched. */
  readonly sessionCookie: string | undefined;
}

export const SESSION_COOKIE = "session";

/** A response slower than this is a failure to report, not a wait; generous for a loaded CI. */
const REQUEST_TIMEOUT_MS = 60_000;

export class SoakClient {
  readonly #agent: Agent;
  readonly #origin: URL;

  constructor(origin: string, sockets: number) {
    this.#origin = new URL(origin);
    this.#agent = new Agent({ keepAlive: true, maxSockets: sockets, maxFreeSockets: sockets });
  }

  send(method: string, path: string, cookieHeader?: string): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const req = request(
        {
          agent: this.#agent,
          host: this.#origin.hostname,
          port: this.#origin.port,
          method,
          path,
          headers: cookieHeader === undefined ? {} : { cookie: cookieHeader },
          timeout: REQUEST_TIMEOUT_MS,
        },
        (res) => {
          let body = "";
          res.setEncoding("utf8");
          res.on("data", (chunk: string) => {
            body += chunk;
          });
          res.on("end", () =>
            resolve({
              status: res.statusCode ?? 0,
              body,
              sessionCookie: sessionCookieOf(res.headers["set-cookie"]),
            }),
          );
          res.on("error", reject);
        },
      );
      req.on("timeout", () => req.destroy(new Error(`${method} ${path}: no answer in time`)));
      req.on("error", reject);
      req.end();
    });
  }

  close(): void {
    this.#agent.destroy();
  }
}

/** The last Set-Cookie for the session cookie wins, as in a browser. */
function sessionCookieOf(setCookies: readonly string[] | undefined): string | undefined {
  const prefix = `${SESSION_COOKIE}=`;
  const header = setCookies?.findLast((line) => line.startsWith(prefix));
  if (header === undefined) return undefined;
  if (/;\s*max-age=0(;|$)/i.test(header)) return "";
  return header.slice(prefix.length, header.indexOf(";") === -1 ? undefined : header.indexOf(";"));
}
