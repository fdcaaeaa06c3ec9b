import type { OutgoingHttpHeaders, ServerResponse } from "node:http";
import type { ResponseHeaders } from "../engine/request-scope.ts";

type Deferrable = "writeHead" | "write" | "end" | "flushHeaders";
type Method = (...args: unknown[]) => unknown;
const DEFERRABLE: readonly Deferrable[] = ["writeHead", "write", "end", "flushHeaders"];

export interface CommitHook {
  /** Whether the handler has begun its response: the commit has started (or is done). */
  started(): boolean;
  /** Puts the response back untouched, for a handler that failed before starting it. */
  abandon(): void;
  /** Runs `callback` once no output is held back any more (at once when none is). */
  whenSettled(callback: () => void): void;
}

/**
 * Holds a node:http response until the session is committed, so the store write is durable
 * before the client sees a byte: the first call that would send headers (writeHead, write, end,
 * flushHeaders) runs the commit, adds its headers, then lets that call and any that queued
 * behind it through in order. A commit that needs no store call adds its headers synchronously
 * and nothing is queued. When the commit fails, `onFailure` answers instead (the adapter sends
 * 503) and the handler's own output is dropped: a 2xx never reports a change that was not stored.
 *
 * While output is held back, queued writes report backpressure and calls after end are dropped,
 * as node:http itself would treat them; `headersSent` keeps telling the truth (false) until the
 * output really goes (faking it with per-instance accessors cost a third of a session write's
 * throughput). Only the instance's four methods are touched, and only until the commit;
 * Express and other frameworks on node:http reuse this.
 */
export function commitBeforeSending(
  res: ServerResponse,
  committer: Committer,
  onFailure: (error: unknown) => void,
): CommitHook {
  const hooked = res as unknown as Partial<Hooked>;
  // A second session middleware on the same response hooks the first one's stand-ins; its own
  // commit runs first, and hands the response back to the first's.
  const hook = new ResponseCommit(res, committer, onFailure, hooked[COMMIT]);
  hooked[COMMIT] = hook;
  const methods = res as unknown as Record<Deferrable, Method>;
  methods.writeHead = startWriteHead;
  methods.write = startWrite;
  methods.end = startEnd;
  methods.flushHeaders = startFlushHeaders;
  return hook;
}

/** What commits the session: the request's scope (`RequestScope.commit`). */
export interface Committer {
  commit(status: number): ResponseHeaders | Promise<ResponseHeaders>;
}

/** The hook of a response, kept on it under a symbol so the stand-in methods can be shared. */
const COMMIT = Symbol("tessera.commit");
type Hooked = { [COMMIT]: ResponseCommit };

/*
 * The stand-ins for the four methods, one set for every response (no functions made per
 * request): each finds its response's hook through `this`, as node:http calls them.
 */
function startWriteHead(this: Hooked, ...args: unknown[]): unknown {
  return this[COMMIT].start("writeHead", args);
}
function startWrite(this: Hooked, ...args: unknown[]): unknown {
  return this[COMMIT].start("write", args);
}
function startEnd(this: Hooked, ...args: unknown[]): unknown {
  return this[COMMIT].start("end", args);
}
function startFlushHeaders(this: Hooked, ...args: unknown[]): unknown {
  return this[COMMIT].start("flushHeaders", args);
}
function holdWriteHead(this: Hooked, ...args: unknown[]): unknown {
  return this[COMMIT].hold("writeHead", args);
}
function holdWrite(this: Hooked, ...args: unknown[]): unknown {
  return this[COMMIT].hold("write", args);
}
function holdEnd(this: Hooked, ...args: unknown[]): unknown {
  return this[COMMIT].hold("end", args);
}
function holdFlushHeaders(this: Hooked, ...args: unknown[]): unknown {
  return this[COMMIT].hold("flushHeaders", args);
}

class ResponseCommit implements CommitHook {
  readonly #res: ServerResponse;
  readonly #committer: Committer;
  readonly #onFailure: (error: unknown) => void;
  /** The hook that was on the response before this one, if any. */
  readonly #outer: ResponseCommit | undefined;
  // The methods as they were: node:http's own, or another middleware's wrappers.
  readonly #writeHead: Method;
  readonly #write: Method;
  readonly #end: Method;
  readonly #flushHeaders: Method;
  #state: "waiting" | "committing" | "open" | "failed" = "waiting";
  /** Calls held back while the commit runs; made only then. */
  #queued: Array<[Deferrable, unknown[]]> | undefined;
  #endQueued = false;
  #owesDrain = false;
  #settledCallbacks: Array<() => void> | undefined;

  constructor(
    res: ServerResponse,
    committer: Committer,
    onFailure: (error: unknown) => void,
    outer: ResponseCommit | undefined,
  ) {
    this.#res = res;
    this.#committer = committer;
    this.#onFailure = onFailure;
    this.#outer = outer;
    const methods = res as unknown as Record<Deferrable, Method>;
    this.#writeHead = methods.writeHead;
    this.#write = methods.write;
    this.#end = methods.end;
    this.#flushHeaders = methods.flushHeaders;
  }

  // A method, not a getter: an accessor made every request several microseconds slower and
  // tripled the heap (measured), as V8 builds such objects slowly.
  started(): boolean {
    return this.#state !== "waiting";
  }

  abandon(): void {
    if (this.#state === "waiting") {
      this.#restore();
      this.#state = "open";
    }
  }

  whenSettled(callback: () => void): void {
    if (this.#state !== "committing") {
      callback();
      return;
    }
    this.#settledCallbacks ??= [];
    this.#settledCallbacks.push(callback);
  }

  start(name: Deferrable, args: unknown[]): unknown {
    const res = this.#res;
    // Called through a reference taken before the commit began (a second session middleware
    // keeps this hook's stand-ins as its originals): the commit runs once, and the call goes
    // where a call made now would.
    if (this.#state === "committing") return this.hold(name, args);
    if (this.#state === "open") return this.#original(name).apply(res, args);
    if (this.#state === "failed") return swallow(res, name)(...args);
    let result: ResponseHeaders | Promise<ResponseHeaders>;
    try {
      // writeHead names the status itself; the other calls send the one set on the response.
      result = this.#committer.commit(name === "writeHead" ? Number(args[0]) : res.statusCode);
    } catch (error) {
      this.#fail(error);
      return name === "write" ? false : res;
    }
    if (!(result instanceof Promise)) {
      this.#restore();
      this.#state = "open";
      return this.#original(name).apply(res, argumentsWithSessionHeaders(res, name, args, result));
    }
    this.#state = "committing";
    const methods = res as unknown as Record<Deferrable, Method>;
    methods.writeHead = holdWriteHead;
    methods.write = holdWrite;
    methods.end = holdEnd;
    methods.flushHeaders = holdFlushHeaders;
    const returned = this.hold(name, args);
    result.then(
      (headers) => {
        if (this.#state === "committing") this.#release(headers);
      },
      (error: unknown) => {
        if (this.#state === "committing") this.#fail(error);
      },
    );
    return returned;
  }

  hold(name: Deferrable, args: unknown[]): unknown {
    if (this.#endQueued) return name === "write" ? false : this.#res;
    this.#queued ??= [];
    this.#queued.push([name, args]);
    if (name === "end") this.#endQueued = true;
    if (name === "write") {
      this.#owesDrain = true;
      return false;
    }
    return this.#res;
  }

  #original(name: Deferrable): Method {
    switch (name) {
      case "writeHead":
        return this.#writeHead;
      case "write":
        return this.#write;
      case "end":
        return this.#end;
      case "flushHeaders":
        return this.#flushHeaders;
    }
  }

  #restore(): void {
    if (this.#outer !== undefined) (this.#res as unknown as Hooked)[COMMIT] = this.#outer;
    const methods = this.#res as unknown as Record<Deferrable, Method>;
    methods.writeHead = this.#writeHead;
    methods.write = this.#write;
    methods.end = this.#end;
    methods.flushHeaders = this.#flushHeaders;
  }

  #settle(next: "open" | "failed"): void {
    this.#state = next;
    const callbacks = this.#settledCallbacks;
    this.#settledCallbacks = undefined;
    if (callbacks !== undefined) for (const callback of callbacks) callback();
  }

  #fail(error: unknown): void {
    const res = this.#res;
    this.#queued = undefined;
    this.#restore();
    try {
      this.#onFailure(error);
    } catch {
      res.destroy();
    }
    // Anything the handler writes after a failed commit is dropped, so a late write cannot
    // append to the error response or raise "write after end".
    const methods = res as unknown as Record<Deferrable, Method>;
    for (const name of DEFERRABLE) methods[name] = swallow(res, name);
    this.#settle("failed");
  }

  #release(headers: ResponseHeaders): void {
    const res = this.#res;
    this.#restore();
    const calls = this.#queued ?? [];
    this.#queued = undefined;
    try {
      // The first call is the one that sends the headers, as it would have been.
      const first = calls[0];
      if (first) first[1] = argumentsWithSessionHeaders(res, first[0], first[1], headers);
      for (const [name, args] of calls) this.#original(name).apply(res, args);
    } catch (error) {
      // A call the handler made (a header with a newline, say) fails now rather than when it
      // was made; it must not become an unhandled rejection that ends the process.
      if (!res.headersSent) this.#fail(error);
      else {
        res.destroy(error instanceof Error ? error : undefined);
        this.#settle("failed");
      }
      return;
    }
    if (this.#owesDrain && !res.writableNeedDrain) res.emit("drain");
    this.#settle("open");
  }
}

/**
 * The arguments of the call that sends the headers, with the session's headers in place: merged
 * into writeHead's own headers when it has some, else added to the response's.
 */
function argumentsWithSessionHeaders(
  res: ServerResponse,
  name: Deferrable,
  args: unknown[],
  headers: ResponseHeaders,
): unknown[] {
  // Sent once, at a logout: the response's own header, which writeHead's object keeps.
  if (headers.clearSiteData !== undefined) res.setHeader("Clear-Site-Data", headers.clearSiteData);
  if (name === "writeHead") {
    const merged = withSessionHeaders(res, args, headers);
    if (merged !== undefined) return merged;
  }
  addSessionHeaders(res, headers);
  return args;
}

/** Adds Set-Cookie and Vary to the response's own headers (no writeHead headers to merge into). */
function addSessionHeaders(res: ServerResponse, headers: ResponseHeaders): void {
  if (headers.setCookie.length > 0) res.appendHeader("Set-Cookie", headers.setCookie as string[]);
  if (headers.varyCookie) addVaryCookie(res);
}

/** Adds Cookie to the response's own Vary header, keeping what the application put there. */
function addVaryCookie(res: ServerResponse): void {
  const vary = res.getHeader("Vary");
  res.setHeader("Vary", vary === undefined ? "Cookie" : withCookie(toList(vary).join(", ")));
}

/**
 * writeHead's own headers win over setHeader's (and its raw-array form removes them), so the
 * session's headers are merged into a copy of them where it names Set-Cookie or Vary itself
 * (undefined when writeHead got no headers object: the caller adds them to the response's own);
 * where it does not, they go to the response's own headers, merging with what setHeader put
 * there (an object naming Set-Cookie would replace the application's own cookies). The caller's
 * object is never changed (it may be a constant shared by every request).
 */
function withSessionHeaders(
  res: ServerResponse,
  args: unknown[],
  headers: ResponseHeaders,
): unknown[] | undefined {
  if (headers.setCookie.length === 0 && !headers.varyCookie) return args;
  const index = args.findIndex(
    (arg, position) => position > 0 && typeof arg === "object" && arg !== null,
  );
  // No headers object: the caller adds the session's headers to the response's own.
  if (index === -1) return undefined;
  const given = args[index];
  const copy = [...args];
  copy[index] = Array.isArray(given)
    ? mergeIntoRawArray(res, given, headers)
    : mergeIntoObject(res, given as OutgoingHttpHeaders, headers);
  return copy;
}

function mergeIntoObject(
  res: ServerResponse,
  given: OutgoingHttpHeaders,
  headers: ResponseHeaders,
): OutgoingHttpHeaders {
  const merged: OutgoingHttpHeaders = { ...given };
  // One pass finds both names in whatever case the application wrote them.
  let cookieKey: string | undefined;
  let varyKey: string | undefined;
  for (const key in merged) {
    if (key.length === 10 && key.toLowerCase() === "set-cookie") cookieKey = key;
    else if (key.length === 4 && key.toLowerCase() === "vary") varyKey = key;
  }
  // Where neither writeHead's object nor setHeader named the header, it goes into the object:
  // node:http sends an object as it is, but once setHeader was used it sets every key of the
  // object one by one (its slow path), which a setHeader of ours would force on every request.
  if (headers.setCookie.length > 0) {
    if (cookieKey !== undefined) {
      merged[cookieKey] = [...toList(merged[cookieKey]), ...headers.setCookie];
    } else if (res.getHeader("Set-Cookie") === undefined) {
      merged["Set-Cookie"] = headers.setCookie as string[];
    } else {
      res.appendHeader("Set-Cookie", headers.setCookie as string[]);
    }
  }
  if (headers.varyCookie) {
    if (varyKey !== undefined) merged[varyKey] = withCookie(toList(merged[varyKey]).join(", "));
    else if (res.getHeader("Vary") === undefined) merged.Vary = "Cookie";
    else addVaryCookie(res);
  }
  return merged;
}

/**
 * The raw array forms, flat `[name, value, name, value, …]` or pairs `[[name, value], …]`
 * (passed on flat, which every node:http path reads the same). node:http replaces a header the
 * response already has when the array names it, and appends the array's values; so the session's
 * headers join the array only where it names them, and the response's own headers otherwise,
 * where the application's own Set-Cookie and Vary stay.
 */
function mergeIntoRawArray(
  res: ServerResponse,
  given: readonly unknown[],
  headers: ResponseHeaders,
): unknown[] {
  const merged: unknown[] = [];
  if (given.length > 0 && Array.isArray(given[0])) {
    for (const pair of given) merged.push(...(pair as unknown[]).slice(0, 2));
  } else {
    merged.push(...given);
  }
  let namesCookie = false;
  let varyIndex = -1;
  for (let index = 0; index + 1 < merged.length; index += 2) {
    const name = String(merged[index]).toLowerCase();
    if (name === "set-cookie") namesCookie = true;
    else if (name === "vary") varyIndex = index;
  }
  if (headers.setCookie.length > 0) {
    if (namesCookie) for (const cookie of headers.setCookie) merged.push("Set-Cookie", cookie);
    else res.appendHeader("Set-Cookie", headers.setCookie as string[]);
  }
  if (headers.varyCookie) {
    if (varyIndex === -1) addVaryCookie(res);
    else merged[varyIndex + 1] = withCookie(String(merged[varyIndex + 1]));
  }
  return merged;
}

function withCookie(vary: string): string {
  const names = vary
    .split(",")
    .map((name) => name.trim())
    .filter((name) => name.length > 0);
  if (names.some((name) => name === "*" || name.toLowerCase() === "cookie"))
    return names.join(", ");
  return [...names, "Cookie"].join(", ");
}

function toList(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value.map(String) : [String(value)];
}

function swallow(res: ServerResponse, name: Deferrable): Method {
  return (...args: unknown[]) => {
    const callback = args.find((arg) => typeof arg === "function") as (() => void) | undefined;
    if (callback) process.nextTick(callback);
    return name === "write" ? false : res;
  };
}
