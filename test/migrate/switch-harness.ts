/**
 * The switch every `migrateFrom` test performs: an app runs on the old session library, many
 * browsers log in with more than a username (a cart), the app stops, and the same app starts
 * again with tessera on the same port; every browser must still be logged in with all of its
 * data, and carry tessera's cookie instead of the old one. Browsers are CookieClients: each
 * keeps its own cookies, as a real browser's jar does.
 */
import assert from "node:assert/strict";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { CookieClient } from "../support/client.ts";

export interface Browser {
  readonly index: number;
  readonly client: CookieClient;
  readonly username: string;
  readonly cart: readonly (string | number)[];
}

export interface SwitchPlan {
  /** Starts the app on the old library, on `port` (0: any). */
  readonly startLegacy: (port: number) => Promise<Server>;
  /** Starts the same app with tessera and `migrateFrom`, on `port`. */
  readonly startTessera: (port: number) => Promise<Server>;
  /** Logs `browser` in on the running app, with its username and cart. */
  readonly login: (browser: Browser) => Promise<void>;
  /** The legacy cookie's name(s), which must be gone from a migrated browser. */
  readonly legacyCookies: readonly string[];
  /** tessera's cookie name. */
  readonly tesseraCookie: string;
  readonly browsers?: number;
}

export interface SwitchResult {
  readonly browsers: readonly Browser[];
  /** How many were still logged in, with all their data, on their first request after it. */
  readonly stillLoggedIn: number;
  readonly stop: () => Promise<void>;
}

/** GET /me: who the app thinks is logged in, and their cart. */
export async function whoAmI(
  client: CookieClient,
): Promise<{ status: number; username?: string; cart?: unknown }> {
  const response = await client.get("/me");
  return response.status === 200
    ? { status: 200, ...response.json() }
    : { status: response.status };
}

export async function runSwitch(plan: SwitchPlan): Promise<SwitchResult> {
  const legacy = await plan.startLegacy(0);
  const port = (legacy.address() as AddressInfo).port;
  const base = `http://127.0.0.1:${port}`;
  const browsers: Browser[] = Array.from({ length: plan.browsers ?? 100 }, (_, index) => ({
    index,
    client: new CookieClient(base),
    username: `user-${index}-é`,
    cart: [index, `item ${index}`, "☕"],
  }));
  await inBatches(browsers, (browser) => plan.login(browser));
  for (const browser of browsers) {
    const before = await whoAmI(browser.client);
    assert.deepEqual(before, { status: 200, username: browser.username, cart: browser.cart });
  }
  await close(legacy);

  const tessera = await plan.startTessera(port);
  let stillLoggedIn = 0;
  await inBatches(browsers, async (browser) => {
    const after = await whoAmI(browser.client);
    if (
      after.status === 200 &&
      after.username === browser.username &&
      JSON.stringify(after.cart) === JSON.stringify(browser.cart)
    ) {
      stillLoggedIn += 1;
    }
  });
  return { browsers, stillLoggedIn, stop: () => close(tessera) };
}

/**
 * What every switch must give: all browsers still logged in with their data (reported, for the
 * issue's count), each holding tessera's cookie and none of the legacy ones, and still logged
 * in on one more request, on tessera's cookie alone.
 */
export async function assertSwitched(
  t: { diagnostic(message: string): void },
  plan: SwitchPlan,
  result: SwitchResult,
): Promise<void> {
  t.diagnostic(
    `still logged in after the switch: ${result.stillLoggedIn} of ${result.browsers.length}`,
  );
  assert.equal(result.stillLoggedIn, result.browsers.length);
  assertSwitchedCookies(plan, result.browsers);
  await inBatches(result.browsers, async (browser) => {
    assert.deepEqual(await whoAmI(browser.client), {
      status: 200,
      username: browser.username,
      cart: browser.cart,
    });
  });
}

/** Each browser's jar holds tessera's cookie and none of the legacy ones. */
export function assertSwitchedCookies(plan: SwitchPlan, browsers: readonly Browser[]): void {
  for (const { client, index } of browsers) {
    assert.ok(client.jar.has(plan.tesseraCookie), `browser ${index} has tessera's cookie`);
    for (const name of plan.legacyCookies) {
      if (name === plan.tesseraCookie) continue;
      assert.ok(!client.jar.has(name), `browser ${index} no longer holds ${name}`);
    }
  }
}

/** Runs `task` for every item, ten at a time, as browsers of many users would. */
export async function inBatches<T>(
  items: readonly T[],
  task: (item: T) => Promise<void>,
): Promise<void> {
  for (let start = 0; start < items.length; start += 10) {
    await Promise.all(items.slice(start, start + 10).map(task));
  }
}

export function listen(server: Server, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve(server));
  });
}

function close(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}
