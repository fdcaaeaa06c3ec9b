/**
 * Browsers that keep count of what tessera acknowledged, so a fault test can tell a 503 (which
 * promises nothing) from a lost write (a 2xx for a change the store no longer holds).
 *
 * A visitor logs in, increments a counter in its session and logs out, and knows two numbers
 * about its counter: `floor`, the newest value it was told is stored (a 2xx, or a read), and
 * `ceiling`, the newest value it ever asked for. A read must show a value between the two.
 * `mayBeGone` is set when a login (regenerate) or a logout answered 503: whether it reached the
 * store is unknown, so the session may have ended. What counts as lost:
 *   - a read or an increment that finds the counter below `floor`;
 *   - the session gone (a fresh one, a 401, a cleared cookie) though every login and logout
 *     of it was acknowledged;
 *   - a logged-out cookie that was acknowledged and later leads to a session again.
 */
import { BODY_503 } from "./app.ts";

/** A request with no answer by then hung: fault tests never wait on a store without bound. */
const REQUEST_TIMEOUT_MS = 30_000;
/** How long `untilOk` keeps trying: generous, for a client that backs off on a loaded machine. */
const RETRY_DEADLINE_MS = 30_000;

export class Ledger {
  /** Writes (logins, increments, logouts) answered 2xx. */
  acknowledged = 0;
  /** Answers of 503, any request. */
  unavailable = 0;
  /** Answers of 2xx that were reads. */
  reads = 0;
  /** Acknowledged changes found missing, described. */
  readonly lost: string[] = [];
  /** Anything else that must not happen: a 500, a hang, a 503 without its headers. */
  readonly wrong: string[] = [];

  add(other: Ledger): void {
    this.acknowledged += other.acknowledged;
    this.unavailable += other.unavailable;
    this.reads += other.reads;
    this.lost.push(...other.lost);
    this.wrong.push(...other.wrong);
  }

  summary(): string {
    return `acknowledged writes ${this.acknowledged}, 2xx reads ${this.reads}, 503s ${this.unavailable}, lost acknowledged writes ${this.lost.length}, other failures ${this.wrong.length}`;
  }
}

export type Outcome = "ok" | "unavailable" | "gone" | "wrong";

interface Answer {
  readonly status: number;
  readonly body: string;
  /** The session cookie a response set: its value, "" when cleared, undefined when untouched. */
  readonly cookie: string | undefined;
  readonly retryAfter: string | null;
}

export class Visitor {
  readonly name: string;
  readonly ledger: Ledger;
  base: string;
  cookie: string | undefined;
  floor = 0;
  ceiling = 0;
  mayBeGone = false;
  /** Cookies whose logout was acknowledged: they must stay ended. */
  readonly loggedOut: string[] = [];
  /** Statuses answered, in order, for assertions about a phase. */
  readonly statuses: number[] = [];

  constructor(name: string, base: string, ledger: Ledger) {
    this.name = name;
    this.base = base;
    this.ledger = ledger;
  }

  async login(pad = 0): Promise<Outcome> {
    const answer = await this.#send("POST", `/login?user=${this.name}&pad=${pad}`);
    if (answer === undefined) return "wrong";
    if (answer.status === 503) return this.#unavailable(answer, true);
    if (answer.status !== 200 || !answer.cookie) return this.#wrong("login", answer);
    this.ledger.acknowledged += 1;
    this.cookie = answer.cookie;
    this.floor = 0;
    this.ceiling = 0;
    this.mayBeGone = false;
    return "ok";
  }

  async inc(): Promise<Outcome> {
    const answer = await this.#send("POST", "/inc");
    if (answer === undefined) return "wrong";
    if (answer.status === 503) {
      // The increment may have been stored, or not.
      this.ceiling += 1;
      return this.#unavailable(answer, false);
    }
    if (answer.status === 401 || answer.cookie === "") return this.#gone("inc");
    if (answer.status !== 200) return this.#wrong("inc", answer);
    const { count } = JSON.parse(answer.body) as { count: number };
    // The app read count - 1: it must hold every acknowledged increment, and nothing never sent.
    if (count - 1 < this.floor)
      this.#lost(`inc read ${count - 1}, below the acknowledged ${this.floor}`);
    if (count - 1 > this.ceiling)
      this.ledger.wrong.push(
        `${this.name}: inc read ${count - 1}, above ${this.ceiling} ever sent`,
      );
    this.ledger.acknowledged += 1;
    this.floor = count;
    this.ceiling = Math.max(this.ceiling, count);
    return "ok";
  }

  async read(): Promise<Outcome> {
    const answer = await this.#send("GET", "/state");
    if (answer === undefined) return "wrong";
    if (answer.status === 503) return this.#unavailable(answer, false);
    if (answer.status !== 200) return this.#wrong("read", answer);
    this.ledger.reads += 1;
    const { user, count } = JSON.parse(answer.body) as {
      user: string | null;
      count: number | null;
    };
    if (this.cookie === undefined) return "ok";
    if (user === null) return this.#gone("read");
    if (count === null || count < this.floor)
      this.#lost(`read ${count}, below the acknowledged ${this.floor}`);
    else if (count > this.ceiling)
      this.ledger.wrong.push(`${this.name}: read ${count}, above ${this.ceiling} ever sent`);
    else this.floor = count;
    return "ok";
  }

  async logout(): Promise<Outcome> {
    const answer = await this.#send("POST", "/logout");
    if (answer === undefined) return "wrong";
    if (answer.status === 503) return this.#unavailable(answer, true);
    if (answer.status !== 200 || answer.cookie !== "") return this.#wrong("logout", answer);
    this.ledger.acknowledged += 1;
    if (this.cookie !== undefined) this.loggedOut.push(this.cookie);
    this.cookie = undefined;
    this.mayBeGone = false;
    return "ok";
  }

  /** One step of a browsing loop: log in when out, else mostly increments and reads. */
  step(): Promise<Outcome> {
    if (this.cookie === undefined) return this.login();
    const dice = Math.random();
    if (dice < 0.5) return this.inc();
    if (dice < 0.8) return this.read();
    if (dice < 0.9) return this.login();
    return this.logout();
  }

  /**
   * After the fault: the session holds what was acknowledged, and every acknowledged logout
   * held. Call it while the store is healthy.
   */
  async verify(): Promise<void> {
    if (this.cookie !== undefined) await this.read();
    const cookie = this.cookie;
    for (const ended of this.loggedOut) {
      this.cookie = ended;
      const answer = await this.#send("GET", "/state");
      if (answer?.status === 200) {
        const { user } = JSON.parse(answer.body) as { user: string | null };
        if (user !== null) this.#lost("an acknowledged logout came back");
      } else this.ledger.wrong.push(`${this.name}: checking a logout answered ${answer?.status}`);
    }
    this.cookie = cookie;
  }

  #unavailable(answer: Answer, endsSession: boolean): Outcome {
    this.ledger.unavailable += 1;
    if (answer.body !== BODY_503 || answer.retryAfter !== "1") {
      this.ledger.wrong.push(`${this.name}: a 503 without tessera's body and Retry-After: 1`);
    }
    if (answer.cookie !== undefined) this.ledger.wrong.push(`${this.name}: a 503 set a cookie`);
    if (endsSession) this.mayBeGone = true;
    return "unavailable";
  }

  #gone(what: string): Outcome {
    if (!this.mayBeGone)
      this.#lost(`${what} found the session gone, every login and logout acknowledged`);
    this.cookie = undefined;
    return "gone";
  }

  #lost(what: string): void {
    this.ledger.lost.push(`${this.name}: ${what}`);
  }

  #wrong(what: string, answer: Answer): Outcome {
    this.ledger.wrong.push(
      `${this.name}: ${what} answered ${answer.status} ${answer.body.slice(0, 200)}`,
    );
    return "wrong";
  }

  async #send(method: string, path: string): Promise<Answer | undefined> {
    try {
      const response = await fetch(`${this.base}${path}`, {
        method,
        headers: this.cookie === undefined ? {} : { cookie: `session=${this.cookie}` },
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      const body = await response.text();
      this.statuses.push(response.status);
      return {
        status: response.status,
        body,
        cookie: sessionCookieOf(response.headers.getSetCookie()),
        retryAfter: response.headers.get("retry-after"),
      };
    } catch (error) {
      this.statuses.push(0);
      this.ledger.wrong.push(`${this.name}: ${method} ${path} got no answer: ${String(error)}`);
      return undefined;
    }
  }
}

/**
 * Repeats `action` until it succeeds, as a user pressing reload after a 503; resolves how many
 * 503s it took. A store deadline may pass on a loaded machine even when nothing is wrong, so a
 * step that must succeed is written this way rather than asserted on its first answer. A
 * session found gone is retried too (the action logs in again when the visitor has no cookie):
 * the ledger has already judged whether that was allowed.
 */
export async function untilOk(action: () => Promise<Outcome>): Promise<number> {
  const deadline = performance.now() + RETRY_DEADLINE_MS;
  let unavailable = 0;
  for (;;) {
    const outcome = await action();
    if (outcome === "ok") return unavailable;
    if (outcome === "wrong") throw new Error("a request failed other than with a 503");
    if (performance.now() > deadline) {
      throw new Error(`still ${outcome} after ${RETRY_DEADLINE_MS} ms of retrying`);
    }
    if (outcome === "unavailable") unavailable += 1;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function sessionCookieOf(headers: string[]): string | undefined {
  for (const header of headers) {
    const match = /^session=([^;]*)/.exec(header);
    if (match) return /max-age=0/i.test(header) ? "" : (match[1] ?? "");
  }
  return undefined;
}

/** The session id inside an id cookie (`<id>.<signature>`), to find its record in the store. */
export function idOfCookie(cookie: string): string {
  const dot = cookie.indexOf(".");
  return dot === -1 ? cookie : cookie.slice(0, dot);
}

/**
 * Collects what would crash the process (an uncaught exception, an unhandled rejection) while
 * a fault test runs, so it is asserted on rather than lost in the runner's output.
 */
export function watchEscapes(): { readonly escaped: string[]; stop(): void } {
  const escaped: string[] = [];
  const onUncaught = (error: unknown): void => {
    escaped.push(`uncaughtException: ${String(error)}`);
  };
  const onUnhandled = (error: unknown): void => {
    escaped.push(`unhandledRejection: ${String(error)}`);
  };
  process.on("uncaughtException", onUncaught);
  process.on("unhandledRejection", onUnhandled);
  return {
    escaped,
    stop() {
      process.off("uncaughtException", onUncaught);
      process.off("unhandledRejection", onUnhandled);
    },
  };
}
