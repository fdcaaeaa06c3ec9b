/**
 * tessera with the whole session in its cookie (issue 4), no store: `createSessions({ secret,
 * format })` with BENCH_FORMAT "flask" (Flask's signed cookie) or "sealed" (AES-256-GCM), the
 * default cookie settings, through `withSessions` on node:http. The workload is
 * cookie-workload.ts's, the same as the cookie-session and iron-session peers'; BENCH_WORKLOAD
 * picks read or write.
 */
import { withSessions } from "../../src/adapters/node.ts";
import { createSessions } from "../../src/engine/manager.ts";
import { answer, type CookieSessionData, LOGIN, nextCount, SECRET } from "./cookie-workload.ts";
import { benchWorkload, requiredEnv, serve } from "./serve.ts";

const workload = benchWorkload();
const format = requiredEnv("BENCH_FORMAT");
if (format !== "flask" && format !== "sealed") {
  throw new Error(`BENCH_FORMAT ${JSON.stringify(format)} is not "flask" or "sealed".`);
}
const sessions = createSessions<CookieSessionData>({ secret: SECRET, format });

const handler = withSessions(sessions, async (req, res, { session }) => {
  const s = await session();
  if (req.url === "/start") {
    s.set("username", LOGIN.username);
    s.set("cart", LOGIN.cart);
    s.set("csrf", LOGIN.csrf);
  } else if (workload === "write" && s.get("username") !== undefined) {
    s.set("n", nextCount());
  }
  answer(res, s.get("username"));
});

serve(handler, () => sessions.close());
