import type { IncomingMessage, ServerResponse } from "node:http";
import type { SessionManager } from "../engine/manager.ts";
import type { RequestScope } from "../engine/request-scope.ts";
import { nodeRequestInfo } from "./node-request-info.ts";
import { commitBeforeSending } from "./node-response.ts";

/** One node:http request's scope, with its response held until the commit. */
export interface NodeRequestScope<T> {
  readonly scope: RequestScope<T>;
  /**
   * Reports a handler failure. Before the response started, nothing is saved and `onError`
   * answers (500, or 503 for a store outage); after, the response the handler began stands
   * (it is cut off only if it can never be completed) and the error is logged.
   */
  fail(error: unknown): void;
}

/**
 * Begins a node:http request's session scope and commits it before the response's headers go
 * out: what the node:http adapter and the frameworks built on node:http (Express) share.
 */
export function beginNodeRequest<T>(
  manager: SessionManager<T>,
  req: IncomingMessage,
  res: ServerResponse,
  onError: (error: unknown) => void,
): NodeRequestScope<T> {
  const scope = manager.begin(nodeRequestInfo(req));
  const hook = commitBeforeSending(res, scope, onError);
  return {
    scope,
    fail: (error) => {
      if (!hook.started()) {
        // A failed handler's session changes are not saved.
        scope.discard();
        hook.abandon();
        onError(error);
        return;
      }
      console.error("tessera: request handler failed after it began its response:", error);
      hook.whenSettled(() => {
        if (!res.writableEnded) res.destroy();
      });
    },
  };
}
