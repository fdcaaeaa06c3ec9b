import type { OutgoingHttpHeaders, ServerResponse } from "node:http";
import type { ResponseHeaders } from "../engine/request-scope.ts";

type Deferrable = "writeHead" | "write" | "end" | "flushHeaders";
const DEFERRABLE: readonly Deferrable[] = ["writeHead", "write", "end", "flushHeaders"];

export interface CommitHook {
  /** Lets the response go out without committing (the handler failed; nothing is saved). */
  abandon(): void;
}

/**
 * Holds a node:http response until the session is committed, so the store write is durable
 * before the client sees a byte: the first call that would send headers (writeHead, write, end,
 * flushHeaders) runs the commit, adds its headers, then lets that call and any that queued
 * behind it through in order. A commit that needs no store call adds its headers synchronously
 * and nothing is queued. When the commit fails, `onFailure` answers instead (the adapter sends
 * 503) and the handler's own output is dropped: a 2xx never reports a change that was not stored.
 *
 * Only the instance is touched, and only until the first send; Express and other frameworks on
 * node:http reuse this.
 */
export function commitBeforeSending(
  res: ServerResponse,
  commit: () => ResponseHeaders | Promise<ResponseHeaders>,
  onFailure: (error: unknown) => void,
): CommitHook {
  const patched = res as unknown as Record<Deferrable, (...args: unknown[]) => unknown>;
  const originals = Object.fromEntries(DEFERRABLE.map((name) => [name, patched[name]])) as Record<
    Deferrable,
    (...args: unknown[]) => unknown
  >;
  let queued: Array<[Deferrable, unknown[]]> | undefined;
  let abandoned = false;

  const restore = (): void => {
    for (const name of DEFERRABLE) patched[name] = originals[name];
  };
  const replay = (): void => {
    for (const [name, args] of queued ?? []) originals[name].apply(res, args);
    queued = undefined;
  };
  const fail = (error: unknown): void => {
    queued = undefined;
    // Anything the handler writes after a failed commit is dropped, so a late write cannot
    // append to the error response or raise "write after end".
    for (const name of DEFERRABLE) patched[name] = swallow(res, name);
    withOriginals(res, originals, () => onFailure(error));
  };

  const first =
    (name: Deferrable) =>
    (...args: unknown[]): unknown => {
      let result: ResponseHeaders | Promise<ResponseHeaders>;
      try {
        result = commit();
      } catch (error) {
        fail(error);
        return name === "write" ? false : res;
      }
      if (!(result instanceof Promise)) {
        restore();
        applyHeaders(res, result, name === "writeHead" ? args : undefined);
        return originals[name].apply(res, args);
      }
      queued = [[name, args]];
      for (const other of DEFERRABLE) {
        patched[other] = (...later: unknown[]) => {
          queued?.push([other, later]);
          return other === "write" ? true : res;
        };
      }
      result.then(
        (headers) => {
          if (abandoned) return;
          restore();
          const head = queued?.find(([queuedName]) => queuedName === "writeHead");
          applyHeaders(res, headers, head?.[1]);
          replay();
        },
        (error: unknown) => {
          if (!abandoned) fail(error);
        },
      );
      return name === "write" ? true : res;
    };

  for (const name of DEFERRABLE) patched[name] = first(name);
  return {
    abandon: () => {
      abandoned = true;
      queued = undefined;
      restore();
    },
  };
}

/** Adds Set-Cookie and Vary, merging into headers passed to writeHead (which would win). */
function applyHeaders(
  res: ServerResponse,
  headers: ResponseHeaders,
  writeHeadArgs: unknown[] | undefined,
): void {
  const explicit = writeHeadArgs?.find(
    (arg): arg is OutgoingHttpHeaders =>
      typeof arg === "object" && arg !== null && !Array.isArray(arg),
  );
  if (headers.setCookie.length > 0) {
    const key =
      explicit && Object.keys(explicit).find((name) => name.toLowerCase() === "set-cookie");
    if (explicit && key) explicit[key] = [...toList(explicit[key]), ...headers.setCookie];
    else res.appendHeader("Set-Cookie", headers.setCookie as string[]);
  }
  if (headers.varyCookie) {
    const key = explicit && Object.keys(explicit).find((name) => name.toLowerCase() === "vary");
    if (explicit && key) explicit[key] = withCookie(String(explicit[key]));
    else {
      const vary = res.getHeader("Vary");
      res.setHeader("Vary", vary === undefined ? "Cookie" : withCookie(toList(vary).join(", ")));
    }
  }
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

function swallow(res: ServerResponse, name: Deferrable): (...args: unknown[]) => unknown {
  return (...args: unknown[]) => {
    const callback = args.find((arg) => typeof arg === "function") as (() => void) | undefined;
    if (callback) process.nextTick(callback);
    return name === "write" ? false : res;
  };
}

/** Runs `send` with the real methods in place, then puts the swallowing ones back. */
function withOriginals(
  res: ServerResponse,
  originals: Record<Deferrable, (...args: unknown[]) => unknown>,
  send: () => void,
): void {
  const patched = res as unknown as Record<Deferrable, (...args: unknown[]) => unknown>;
  const swallowing = Object.fromEntries(DEFERRABLE.map((name) => [name, patched[name]]));
  for (const name of DEFERRABLE) patched[name] = originals[name];
  try {
    send();
  } finally {
    for (const name of DEFERRABLE)
      patched[name] = swallowing[name] as (...args: unknown[]) => unknown;
  }
}
