/**
 * The mixed load: virtual users, each on its own keep-alive connection, each logging in,
 * reading, writing, regenerating, logging out and sending hostile cookies, one request at a
 * time, and checking every answer against what it knows its session holds.
 */
import { randomInt } from "node:crypto";
import type { IdSigner } from "../../src/transport/id-signers.ts";
import { type Answer, SESSION_COOKIE, type SoakClient } from "./client.ts";
import type { Gate } from "./gate.ts";
import { HOSTILE_KINDS, hostileCookie } from "./hostile.ts";
import type { Tally } from "./tally.ts";

export type Op = "read" | "write" | "regenerate" | "logout" | "hostile";

/** Relative weights of what a logged-in user does next; a logged-out one logs in. */
export const MIX: Readonly<Record<Op, number>> = {
  read: 50,
  write: 20,
  hostile: 20,
  regenerate: 5,
  logout: 5,
};

/** The server keeps a cart's last 20 items (server.ts). */
const CART_MAX = 20;

export interface Login {
  readonly username: string;
  /** The session cookie's value. */
  cookie: string;
  /** Items the server should report in the cart. */
  cart: number;
}

export interface LoadContext {
  readonly client: SoakClient;
  readonly tally: Tally;
  readonly signer: IdSigner;
}

function cookieHeader(value: string): string {
  return `${SESSION_COOKIE}=${value}`;
}

/** Sends and counts; a connection error is counted as "reset" and resolves undefined. */
async function send(
  context: LoadContext,
  op: string,
  method: string,
  path: string,
  cookie?: string,
): Promise<Answer | undefined> {
  try {
    const answer = await context.client.send(method, path, cookie);
    context.tally.answered(op, answer.status);
    if (answer.status >= 500) {
      context.tally.violate("5xx", `${method} ${path} answered ${answer.status}: ${answer.body}`);
    }
    return answer;
  } catch (error) {
    context.tally.answered(op, "reset");
    // Only an oversized header may end its connection (node:http answers 431 and closes).
    if (op !== "hostile:oversized") {
      context.tally.violate("transport", `${method} ${path}: ${String(error)}`);
    }
    return undefined;
  }
}

/** Logs a user in; resolves their login once the server acknowledged it, undefined otherwise. */
export async function logIn(context: LoadContext, username: string): Promise<Login | undefined> {
  const answer = await send(context, "login", "POST", `/login?user=${username}`);
  if (answer === undefined || answer.status >= 500) return undefined;
  if (answer.status !== 200 || !answer.sessionCookie) {
    context.tally.violate("login", `login ${username} answered ${answer.status} without a cookie`);
    return undefined;
  }
  context.tally.acknowledgedLogins++;
  return { username, cookie: answer.sessionCookie, cart: 0 };
}

/** Reads the session; a 401 means an acknowledged login was lost. */
export async function readBack(context: LoadContext, login: Login, op = "read"): Promise<void> {
  const answer = await send(context, op, "GET", "/me", cookieHeader(login.cookie));
  if (answer === undefined || answer.status >= 500) return;
  const body = answer.status === 200 ? (JSON.parse(answer.body) as { username: string }) : {};
  if (answer.status !== 200 || !("username" in body) || body.username !== login.username) {
    context.tally.violate("lost-session", `${login.username}: ${answer.status} ${answer.body}`);
    return;
  }
  if (answer.sessionCookie) login.cookie = answer.sessionCookie;
  const cart = (JSON.parse(answer.body) as { cart: number }).cart;
  if (cart !== login.cart) {
    context.tally.violate("wrong-cart", `${login.username}: cart ${cart}, expected ${login.cart}`);
  }
}

async function write(context: LoadContext, login: Login): Promise<void> {
  const answer = await send(
    context,
    "write",
    "POST",
    `/cart?item=i${randomInt(1000)}`,
    cookieHeader(login.cookie),
  );
  if (answer === undefined || answer.status >= 500) return;
  if (answer.status !== 200) {
    context.tally.violate("lost-session", `${login.username} write: ${answer.status}`);
    return;
  }
  login.cart = Math.min(login.cart + 1, CART_MAX);
  if (answer.sessionCookie) login.cookie = answer.sessionCookie;
  const cart = (JSON.parse(answer.body) as { cart: number }).cart;
  if (cart !== login.cart) {
    context.tally.violate("wrong-cart", `${login.username}: cart ${cart}, expected ${login.cart}`);
  }
}

/** A cookie the server just retired must no longer log anyone in. */
async function expectDead(context: LoadContext, op: string, cookie: string): Promise<void> {
  const answer = await send(context, op, "GET", "/me", cookieHeader(cookie));
  if (answer !== undefined && answer.status === 200) {
    context.tally.violate("retired-cookie-accepted", `${op}: ${answer.body}`);
  }
}

async function regenerate(context: LoadContext, login: Login): Promise<void> {
  const old = login.cookie;
  const answer = await send(context, "regenerate", "POST", "/regenerate", cookieHeader(old));
  if (answer === undefined || answer.status >= 500) return;
  if (answer.status !== 200 || !answer.sessionCookie || answer.sessionCookie === old) {
    context.tally.violate("regenerate", `${login.username}: ${answer.status}, no new cookie`);
    return;
  }
  login.cookie = answer.sessionCookie;
  await expectDead(context, "regenerate:old-cookie", old);
}

async function logOut(context: LoadContext, login: Login): Promise<void> {
  const answer = await send(context, "logout", "POST", "/logout", cookieHeader(login.cookie));
  if (answer === undefined || answer.status >= 500) return;
  if (answer.status !== 200 || answer.sessionCookie !== "") {
    context.tally.violate("logout", `${login.username}: ${answer.status}, cookie not cleared`);
  }
  await expectDead(context, "logout:old-cookie", login.cookie);
}

async function hostile(context: LoadContext, login: Login): Promise<void> {
  const kind = HOSTILE_KINDS[randomInt(HOSTILE_KINDS.length)] ?? "forged";
  const header = hostileCookie(kind, login.cookie, context.signer);
  const answer = await send(context, `hostile:${kind}`, "GET", "/me", header);
  if (answer !== undefined && answer.status >= 200 && answer.status < 300) {
    context.tally.violate("forgery-accepted", `${kind}: ${answer.status} ${answer.body}`);
  }
}

function pick(): Op {
  const total = Object.values(MIX).reduce((sum, weight) => sum + weight, 0);
  let roll = randomInt(total);
  for (const [op, weight] of Object.entries(MIX) as [Op, number][]) {
    if (roll < weight) return op;
    roll -= weight;
  }
  return "read";
}

/**
 * One virtual user until `until` (a performance.now() time): resolves to its login at the end,
 * which the final check reads back, or undefined when it ended logged out.
 */
export async function runUser(
  context: LoadContext,
  gate: Gate,
  name: string,
  until: number,
): Promise<Login | undefined> {
  let login: Login | undefined;
  let generation = 0;
  while (performance.now() < until) {
    await gate.enter();
    try {
      if (login === undefined) {
        login = await logIn(context, `${name}-${generation++}`);
        continue;
      }
      const op = pick();
      if (op === "read") await readBack(context, login);
      else if (op === "write") await write(context, login);
      else if (op === "regenerate") await regenerate(context, login);
      else if (op === "hostile") await hostile(context, login);
      else {
        await logOut(context, login);
        login = undefined;
      }
    } finally {
      gate.leave();
    }
  }
  return login;
}
