/**
 * Change tracking (src/session/session.ts, src/session/changes.ts): a Session is a typed view
 * over a SessionState, which copies the loaded data into a Map and records every set and delete
 * in a ChangeSet, so the store gets a per-key patch. A value handed out by reference (Express's
 * `req.session.cart`) is watched: its JSON is taken when it is handed out and again at commit
 * (recordInPlaceChanges), to find changes made in place.
 */
import { ChangeSet } from "../../src/session/changes.ts";
import { type LoadedSession, Session, SessionState } from "../../src/session/session.ts";
import type { MicroCase, MicroGroup } from "./case.ts";

interface Cart {
  items: { sku: string; qty: number }[];
  updatedAt: number;
}

type Data = {
  username: string;
  cart: Cart;
  prefs: { theme: string; lang: string };
  n: number;
};

/** A logged-in session with a nested cart, as a store's get gives it. */
export const LOADED: LoadedSession = {
  id: "q3Vb0mYtQy2c8Zr1xW7nLpK4sJ9dF6hG5aE2uT0iOxM",
  data: {
    username: "alice",
    cart: {
      items: [
        { sku: "sku-1042", qty: 1 },
        { sku: "sku-2291", qty: 2 },
        { sku: "sku-0007", qty: 1 },
        { sku: "sku-3310", qty: 4 },
      ],
      updatedAt: 0,
    },
    prefs: { theme: "dark", lang: "en-US" },
  },
  createdAt: Date.now(),
  expiresAt: Date.now() + 31 * 86_400_000,
};

const STATE_OPTIONS = { defaultPermanent: true };

/** One state and session reused by every iteration, for the costs of a single call. */
export const sharedState = new SessionState(LOADED, STATE_OPTIONS);
export const sharedSession = new Session<Data>(sharedState);

let counter = 0;

export const cases = {
  get: {
    name: "Session.get",
    fn: () => sharedSession.get("username"),
  },
  set: {
    name: "Session.set (records the change)",
    fn: () => sharedSession.set("n", ++counter),
  },
  changeSet: {
    name: "ChangeSet: 3 sets + 1 delete",
    fn: () => {
      const changes = new ChangeSet();
      changes.recordSet("username", "alice");
      changes.recordSet("n", 1);
      changes.recordSet("theme", "light");
      changes.recordDelete("flash");
      return changes;
    },
  },
  request: {
    name: "request: load state + get + set",
    fn: () => {
      const state = new SessionState(LOADED, STATE_OPTIONS);
      const session = new Session<Data>(state);
      session.set("n", (session.get("n") ?? 0) + 1);
      return state;
    },
  },
  inPlaceUnchanged: {
    name: "watch + recordInPlaceChanges: unchanged",
    fn: () => {
      const state = new SessionState(LOADED, STATE_OPTIONS);
      const cart = state.data.get("cart") as Cart;
      state.watch("cart", cart);
      state.recordInPlaceChanges();
      return state;
    },
  },
  inPlaceChanged: {
    name: "watch + recordInPlaceChanges: changed",
    fn: () => {
      const state = new SessionState(LOADED, STATE_OPTIONS);
      const cart = state.data.get("cart") as Cart;
      state.watch("cart", cart);
      // Changed in place, as `req.session.cart.updatedAt = …` would; the size stays the same.
      cart.updatedAt = ++counter;
      state.recordInPlaceChanges();
      return state;
    },
  },
} satisfies Record<string, MicroCase>;

export const groups: readonly MicroGroup[] = [
  { name: "session: get / set", cases: [cases.get, cases.set, cases.changeSet] },
  {
    name: "session: a request's state, in-place changes (nested object)",
    cases: [cases.request, cases.inPlaceUnchanged, cases.inPlaceChanged],
  },
];
