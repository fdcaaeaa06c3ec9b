/**
 * Peer for tessera's cookie sessions in Hono: @hono/session (honojs/middleware; the session as
 * an encrypted JWT, JWE "dir" + A256GCM under a key derived from the secret by HKDF, in the
 * cookie `sid`), `useSession({ secret, duration })` as its README shows, with tessera's lifetime
 * as `duration.absolute` (the README recommends setting one; without it the cookie never
 * expires). On Node through @hono/node-server (hono-common.ts); the workload is
 * cookie-workload.ts's, BENCH_WORKLOAD picks read or write. A read (`session.get()`) decrypts
 * the cookie and sends none back; a write (`session.update(fn)`, which decrypts the cookie and
 * passes its data to `fn`) encrypts a new one. The expiry is fixed at login: @hono/session moves
 * it only when `duration.inactivity` is set and a session is written.
 */
import { type SessionEnv, useSession } from "@hono/session";
import { Hono } from "hono";
import {
  type CookieSessionData,
  LIFETIME_SECONDS,
  LOGIN,
  nextCount,
  SECRET,
} from "./cookie-workload.ts";
import { honoAnswer, serveHono } from "./hono-common.ts";
import { benchWorkload } from "./serve.ts";

/** @hono/session's data is a Record<string, unknown>: an interface has no index signature. */
type Data = Partial<CookieSessionData> & Record<string, unknown>;

const workload = benchWorkload();
const app = new Hono<SessionEnv<Data>>();
app.use(useSession<Data>({ secret: SECRET, duration: { absolute: LIFETIME_SECONDS } }));
app.get("*", async (c) => {
  const session = c.var.session;
  if (c.req.path === "/start") {
    await session.update({ ...LOGIN });
    return honoAnswer(c, LOGIN.username);
  }
  if (workload === "read") return honoAnswer(c, (await session.get())?.username);
  // One decryption: update() reads the cookie itself and hands the data to the function.
  await session.update((previous) => ({ ...previous, n: nextCount() }));
  return honoAnswer(c, session.data?.username);
});

serveHono(app);
