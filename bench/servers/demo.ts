/** The real demo app (demo/app.ts) on the store named by BENCH_STORE. */
import { randomBytes } from "node:crypto";
import { createDemoApp } from "../../demo/app.ts";
import { serve } from "./serve.ts";
import { storeFromEnv } from "./store-from-env.ts";

const { store, release } = await storeFromEnv();
// A fresh secret per run: cookies only have to survive this process.
const app = createDemoApp({ secret: randomBytes(32).toString("base64url"), store });

serve(app.handler, async () => {
  await app.sessions.close();
  await release();
});
