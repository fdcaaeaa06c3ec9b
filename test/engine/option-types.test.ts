/**
 * Wrong combinations of options are compile errors (`npm run typecheck` checks every
 * `@ts-expect-error` below is still an error), and the same mistakes from JavaScript are
 * ConfigErrors at startup.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { SessionOptions } from "../../src/engine/options.ts";
import { memoryStore } from "../../src/stores/memory.ts";

const secret = "option-types-test-secret-0123456789abcd";
const store = memoryStore();

const wrong: SessionOptions[] = [
  // @ts-expect-error a cookie format keeps no store
  { secret, format: "flask", store },
  // @ts-expect-error a cookie format has no store timeout
  { secret, format: "sealed", storeTimeout: "1s" },
  // @ts-expect-error tessera's own id cookie is always signed
  { secret, format: "id", signIds: false },
  // @ts-expect-error signIds belongs to format "flask-session"
  { secret, store, signIds: true },
  // @ts-expect-error Flask's cookie cannot keep an absolute lifetime
  { secret, format: "flask", absoluteLifetime: "1d" },
  // @ts-expect-error no such format
  { secret, format: "pickle" },
];

const right: SessionOptions[] = [
  { secret, store },
  { secret, store, lifetime: "1h", absoluteLifetime: "1d" },
  { secret, format: "flask-session", store, signIds: false },
  { secret, format: "flask" },
  { secret, format: "sealed", lifetime: "1d", absoluteLifetime: "7d" },
];

test("the wrong combinations the types refuse are refused at startup too", async () => {
  const { createSessions } = await import("../../src/engine/manager.ts");
  for (const options of wrong) {
    assert.throws(() => createSessions(options), /ConfigError|format|store|signIds|absolute/);
  }
  for (const options of right) await createSessions(options).close();
});
