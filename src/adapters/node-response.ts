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
  commit: (status: number) => ResponseHeaders | Promise<ResponseHeaders>,
  onFailure: (error: unknown) => void,
): CommitHook {
  const methods = res as unknown as Record<Deferrable, Method>;
  const originals: Record<Deferrable, Method> = {
    writeHead: methods.writeHead,
    write: methods.write,
    end: methods.end,
    flushHeaders: methods.flushHeaders,
  };
  let state: "waiting" | "committing" | "open" | "failed" = "waiting";
  let queued: Array<[Deferrable, unknown[]]> = [];
  let endQueued = false;
  let owesDrain = false;
  const settledCallbacks: Array<() => void> = [];

  const restore = (): void => {
    for (const name of DEFERRABLE) methods[name] = originals[name];
  };
  const settle = (next: "open" | "failed"): void => {
    state = next;
    for (const callback of settledCallbacks.splice(0)) callback();
  };
  const fail = (error: unknown): void => {
    queued = [];
    restore();
    try {
      onFailure(error);
    } catch {
      res.destroy();
    }
    // Anything the handler writes after a failed commit is dropped, so a late write cannot
    // append to the error response or raise "write after end".
    for (const name of DEFERRABLE) methods[name] = swallow(res, name);
    settle("failed");
  };

  const hold = (name: Deferrable, args: unknown[]): unknown => {
    if (endQueued) return name === "write" ? false : res;
    queued.push([name, args]);
    if (name === "end") endQueued = true;
    if (name === "write") {
      owesDrain = true;
      return false;
    }
    return res;
  };

  const release = (headers: ResponseHeaders): void => {
    restore();
    const calls = queued;
    queued = [];
    try {
      // The first call is the one that sends the headers, as it would have been.
      const first = calls[0];
      if (first) first[1] = argumentsWithSessionHeaders(res, first[0], first[1], headers);
      for (const [name, args] of calls) originals[name].apply(res, args);
    } catch (error) {
      // A call the handler made (a header with a newline, say) fails now rather than when it
      // was made; it must not become an unhandled rejection that ends the process.
      if (!res.headersSent) fail(error);
      else {
        res.destroy(error instanceof Error ? error : undefined);
        settle("failed");
      }
      return;
    }
    if (owesDrain && !res.writableNeedDrain) res.emit("drain");
    settle("open");
  };

  const start =
    (name: Deferrable) =>
    (...args: unknown[]): unknown => {
      let result: ResponseHeaders | Promise<ResponseHeaders>;
      try {
        // writeHead names the status itself; the other calls send the one set on the response.
        result = commit(name === "writeHead" ? Number(args[0]) : res.statusCode);
      } catch (error) {
        fail(error);
        return name === "write" ? false : res;
      }
      if (!(result instanceof Promise)) {
        restore();
        state = "open";
        return originals[name].apply(res, argumentsWithSessionHeaders(res, name, args, result));
      }
      state = "committing";
      for (const other of DEFERRABLE) methods[other] = (...later: unknown[]) => hold(other, later);
      const returned = hold(name, args);
      result.then(
        (headers) => {
          if (state === "committing") release(headers);
        },
        (error: unknown) => {
          if (state !== "committing") return;
          fail(error);
        },
      );
      return returned;
    };

  for (const name of DEFERRABLE) methods[name] = start(name);
  return {
    // A method, not a getter: an accessor in an object literal made every request several
    // microseconds slower and tripled the heap (measured), as V8 builds such objects slowly.
    started: () => state !== "waiting",
    abandon: () => {
      if (state === "waiting") {
        restore();
        state = "open";
      }
    },
    whenSettled: (callback) => {
      if (state === "committing") settledCallbacks.push(callback);
      else callback();
    },
  };
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
