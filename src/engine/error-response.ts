import { StoreUnavailableError } from "../errors.ts";

/** What every adapter answers when a request cannot be served: decided once, here. */
export interface ErrorResponse {
  readonly status: 500 | 503;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** Whether the error is a bug worth logging (a store outage is reported by its 503). */
  readonly log: boolean;
}

/** 503 with Retry-After for a store outage (try again shortly), 500 for anything else. */
export function errorResponse(error: unknown): ErrorResponse {
  const unavailable = error instanceof StoreUnavailableError;
  const body = unavailable
    ? "503 Service Unavailable: the session store is not answering; try again shortly.\n"
    : "500 Internal Server Error\n";
  return {
    status: unavailable ? 503 : 500,
    headers: {
      "Content-Type": "text/plain; charset=utf-8",
      "Content-Length": String(Buffer.byteLength(body)),
      "Cache-Control": "no-store",
      ...(unavailable ? { "Retry-After": "1" } : {}),
    },
    body,
    log: !unavailable,
  };
}
