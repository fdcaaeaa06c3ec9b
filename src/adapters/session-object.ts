import type { RequestScope } from "../engine/request-scope.ts";
import type { Session } from "../session/session.ts";

/** What a session object works on: the request's tessera session and its scope. */
export interface SessionObjectHost {
  readonly session: Session<Record<string, unknown>>;
  readonly scope: Pick<RequestScope<unknown>, "watch" | "save" | "reload" | "modified">;
}

/** A property the framework's session object shows beside the data (express-session's `cookie`). */
export interface ExtraProperty {
  get(): unknown;
  /** Handles an assignment; undefined makes the property read-only. */
  set?(value: unknown): void;
}

interface ViewState {
  /** Undefined once detached: the object then holds a copy of the data and changes nothing. */
  host: SessionObjectHost | undefined;
  /** What the adapter keeps with the object (its request's slot); undefined once detached. */
  owner: unknown;
  copy: Map<string, unknown> | undefined;
  readonly extras: Readonly<Record<string, ExtraProperty>>;
}

/** Where the object's state sits on the proxy's target (a symbol: never a session key). */
const VIEW = Symbol("tessera.sessionObject");

/**
 * The session as an object whose properties are its keys, the way express-session and
 * @fastify/session present it: `req.session.views++`, `req.session.cart.push(item)`,
 * `delete req.session.user`, `Object.keys(req.session)`. Every read, write and delete goes to the
 * request's tessera Session, so the typed API and this object never disagree, and the request
 * still writes per-key patches; a value read by reference is watched, so a change made to it in
 * place is saved too. The framework's methods live on `prototype`, so they are not enumerable,
 * and `extras` are properties shown beside the data (express-session's `cookie`).
 */
export function sessionObject<P extends object>(
  prototype: P,
  host: SessionObjectHost,
  extras: Readonly<Record<string, ExtraProperty>>,
  owner: unknown,
): P & Record<string, unknown> {
  const target = Object.create(prototype) as Target;
  target[VIEW] = { host, owner, copy: undefined, extras };
  return new Proxy(target, HANDLER) as unknown as P & Record<string, unknown>;
}

type Target = Record<string | symbol, unknown> & { [VIEW]: ViewState };

/** Whether the object shows `key` as one of the session's keys. */
function holds(state: ViewState, key: string): boolean {
  return state.host === undefined
    ? (state.copy?.has(key) ?? false)
    : state.host.session.keys().includes(key);
}

/** One handler for every session object: each keeps its state on its target. */
const HANDLER: ProxyHandler<Target> = {
  get(target, key, receiver) {
    const state = target[VIEW];
    if (typeof key === "symbol" || (key in target && !(key in state.extras))) {
      return Reflect.get(target, key, receiver);
    }
    const extra = state.extras[key];
    if (extra !== undefined) return extra.get();
    if (state.host === undefined) return state.copy?.get(key);
    const value = state.host.session.get(key);
    if (typeof value === "object" && value !== null) state.host.scope.watch(key, value);
    return value;
  },
  set(target, key, value, receiver) {
    const state = target[VIEW];
    if (typeof key === "symbol") return Reflect.set(target, key, value, receiver);
    const extra = state.extras[key];
    if (extra !== undefined) {
      if (extra.set === undefined) return false;
      extra.set(value);
      return true;
    }
    if (key in target) return Reflect.set(target, key, value, receiver);
    if (state.host === undefined) {
      state.copy?.set(key, value);
      return true;
    }
    const { session, scope } = state.host;
    const current = session.get(key);
    if (Object.is(current, value) && (value !== undefined || !session.has(key))) {
      // The same value again (`req.session.flash = req.session.flash || {}`) changes nothing,
      // as express-session's hash of the session would not change: no write for it. A change
      // made to it in place is still found, for it is watched.
      if (typeof value === "object" && value !== null) scope.watch(key, value);
      return true;
    }
    // As JSON drops an undefined property, express-session's store forgets it: delete it.
    if (value === undefined) session.delete(key);
    else session.set(key, value as never);
    return true;
  },
  deleteProperty(target, key) {
    const state = target[VIEW];
    if (typeof key === "symbol" || key in state.extras) return Reflect.deleteProperty(target, key);
    if (state.host === undefined) state.copy?.delete(key);
    else state.host.session.delete(key);
    return true;
  },
  has(target, key) {
    if (typeof key === "symbol" || key in target) return Reflect.has(target, key);
    const state = target[VIEW];
    return key in state.extras || holds(state, key);
  },
  ownKeys(target) {
    const state = target[VIEW];
    const keys =
      state.host === undefined ? [...(state.copy?.keys() ?? [])] : state.host.session.keys();
    return [...keys, ...Object.keys(state.extras)];
  },
  getOwnPropertyDescriptor(target, key) {
    if (typeof key === "symbol") return Reflect.getOwnPropertyDescriptor(target, key);
    const state = target[VIEW];
    const extra = state.extras[key];
    if (extra !== undefined) {
      return { value: extra.get(), writable: true, enumerable: true, configurable: true };
    }
    if (!holds(state, key)) return Reflect.getOwnPropertyDescriptor(target, key);
    const value = HANDLER.get?.(target, key, target);
    return { value, writable: true, enumerable: true, configurable: true };
  },
  defineProperty(target, key, descriptor) {
    if (typeof key === "symbol" || !("value" in descriptor)) {
      return Reflect.defineProperty(target, key, descriptor);
    }
    return HANDLER.set?.(target, key, descriptor.value, target) ?? false;
  },
};

function stateOf(object: object): ViewState | undefined {
  return (object as Record<symbol, ViewState | undefined>)[VIEW];
}

/** What the adapter keeps with the object, or undefined once it was detached. */
export function ownerOf<Owner>(object: object): Owner | undefined {
  return stateOf(object)?.owner as Owner | undefined;
}

/**
 * Cuts the object loose from the request's session, keeping a copy of the data it showed: a
 * regenerate or destroy gave the request a new session object, and code that kept the old one
 * (Passport's `keepSessionInfo` copies from it) still reads what it held.
 */
export function detach(object: object): void {
  const state = stateOf(object);
  if (state?.host === undefined) return;
  const session = state.host.session;
  state.copy = new Map(session.keys().map((key) => [key, session.get(key)]));
  state.host = undefined;
  state.owner = undefined;
}
