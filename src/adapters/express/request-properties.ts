import { IncomingMessage } from "node:http";
import type { Cookies } from "../../cookies/jar.ts";
import type { Session } from "../../session/session.ts";
import { makeExpressSession, type SessionSlot } from "./session-view.ts";

/** One request's sessions, kept on the request under a symbol. */
export class ExpressRequestSessions {
  readonly session: Session<never>;
  readonly cookies: Cookies;
  readonly slot: SessionSlot;
  constructor(slot: SessionSlot, cookies: Cookies) {
    this.session = slot.host.session as unknown as Session<never>;
    this.cookies = cookies;
    this.slot = slot;
  }
}

const SESSIONS = Symbol("tessera.express");

type WithSessions = IncomingMessage & { [SESSIONS]?: ExpressRequestSessions };

/**
 * `req.session`, `req.sessionID` and `req.tessera` as accessors on Express's request prototype,
 * defined once: defining them on every request object cost several times what the rest of a
 * session read costs (measured). They read the request's ExpressRequestSessions; a request
 * that did not pass the middleware reads undefined, and an assignment to it (another session
 * middleware mounted elsewhere) makes an ordinary property of the request, as without tessera.
 */
const ACCESSORS: PropertyDescriptorMap = {
  session: {
    get(this: WithSessions) {
      const slot = this[SESSIONS]?.slot;
      if (slot === undefined) return undefined;
      return slot.current ?? (slot.destroyed ? undefined : makeExpressSession(slot));
    },
    set(this: WithSessions, value: unknown) {
      const slot = this[SESSIONS]?.slot;
      if (slot === undefined) ownProperty(this, "session", value);
      else replaceSession(slot, value);
    },
    configurable: true,
    enumerable: true,
  },
  sessionID: {
    get(this: WithSessions) {
      return this[SESSIONS]?.session.id;
    },
    set(this: WithSessions, value: unknown) {
      ownProperty(this, "sessionID", value);
    },
    configurable: true,
    enumerable: true,
  },
  tessera: {
    get(this: WithSessions) {
      return this[SESSIONS];
    },
    set(this: WithSessions, value: unknown) {
      ownProperty(this, "tessera", value);
    },
    configurable: true,
    enumerable: false,
  },
};

function ownProperty(target: object, name: string, value: unknown): void {
  Object.defineProperty(target, name, {
    value,
    writable: true,
    configurable: true,
    enumerable: true,
  });
}

/** Request prototypes known to carry the accessors (Express's apps' own, and its base). */
const prepared = new WeakSet<object>();

/** Gives `req` its sessions: on the prototype when it is Express's, else on the request. */
export function attachToRequest(req: IncomingMessage, sessions: ExpressRequestSessions): void {
  const prototype = Object.getPrototypeOf(req) as object;
  if (!prepared.has(prototype)) prepare(req, prototype);
  (req as WithSessions)[SESSIONS] = sessions;
}

/**
 * Express's requests inherit from its base request (`express.request`), itself made on
 * IncomingMessage.prototype, through each app's `app.request`; a mounted sub-app swaps the
 * latter for its own. The accessors go on the base, which every app of that Express shares.
 */
function prepare(req: IncomingMessage, prototype: object): void {
  let base: object | null = prototype;
  while (base !== null && Object.getPrototypeOf(base) !== IncomingMessage.prototype) {
    base = Object.getPrototypeOf(base) as object | null;
  }
  if (base === null || base === prototype || base === IncomingMessage.prototype) {
    // Not Express's request (connect, polka, a bare server): the accessors go on this request.
    Object.defineProperties(req, ACCESSORS);
    return;
  }
  if (!prepared.has(base)) Object.defineProperties(base, ACCESSORS);
  prepared.add(base);
  prepared.add(prototype);
}

/**
 * `req.session = null` ends the session and `req.session = { ... }` replaces its data, as
 * cookie-session users write it.
 */
function replaceSession(slot: SessionSlot, value: unknown): void {
  const { session } = slot.host;
  if (value === null || value === undefined) {
    slot.current?.destroy();
    if (slot.current === undefined && !slot.destroyed) {
      session.destroy();
      slot.destroyed = true;
    }
    return;
  }
  if (value === slot.current) return;
  session.clear();
  for (const [key, item] of Object.entries(value as object)) {
    if (key !== "cookie" && item !== undefined) session.set(key as never, item as never);
  }
}
