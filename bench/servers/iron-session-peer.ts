/**
 * Peer for the sealed format: iron-session (the session sealed with iron-webcrypto,
 * AES-256-CBC + HMAC-SHA256 under keys derived from the password), called from node:http as its
 * README shows, `getIronSession(req, res, { password, cookieName })`, with a ttl of tessera's
 * lifetime. The workload is cookie-workload.ts's; BENCH_WORKLOAD picks read or write.
 * iron-session writes its cookie only on `save()`, which the write calls on every request.
 */
import { getIronSession } from "iron-session";
import {
  answer,
  type CookieSessionData,
  LIFETIME_SECONDS,
  LOGIN,
  nextCount,
  SECRET,
} from "./cookie-workload.ts";
import { benchWorkload, sendJson, serve } from "./serve.ts";

const workload = benchWorkload();
const options = { password: SECRET, cookieName: "session", ttl: LIFETIME_SECONDS };

serve((req, res) => {
  void (async () => {
    const session = await getIronSession<CookieSessionData>(req, res, options);
    if (req.url === "/start") {
      Object.assign(session, LOGIN);
      await session.save();
    } else if (workload === "write" && session.username !== undefined) {
      session.n = nextCount();
      await session.save();
    }
    answer(res, session.username);
  })().catch((error: unknown) => sendJson(res, 500, JSON.stringify({ error: String(error) })));
});
