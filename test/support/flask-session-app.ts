/**
 * A real Flask app with Flask-Session 0.8's Redis sessions (test/interop/flask_session_app.py,
 * on Debian's python3-flask, python3-msgpack and python3-redis), for tests that share sessions
 * between Flask and tessera through one Redis.
 */
import { fileURLToPath } from "node:url";
import { startFlaskApp } from "./flask-app.ts";

const SCRIPT = fileURLToPath(new URL("../interop/flask_session_app.py", import.meta.url));

export interface FlaskSessionAppOptions {
  /** Flask's SECRET_KEY. */
  readonly secret: string;
  /** The Redis the app keeps its sessions in. */
  readonly redisUrl: string;
  /** SESSION_KEY_PREFIX; default "session:". */
  readonly prefix?: string;
  /** SESSION_SERIALIZATION_FORMAT; default "msgpack". */
  readonly serializer?: "msgpack" | "json";
  /** PERMANENT_SESSION_LIFETIME in seconds; default 31 days. */
  readonly lifetime?: number;
  /** SESSION_USE_SIGNER; default true (tessera signs its id cookies). */
  readonly useSigner?: boolean;
  /** SESSION_PERMANENT; default true. */
  readonly permanent?: boolean;
}

export interface FlaskSessionApp {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** Kills the app (idempotent) and resolves once it has exited. */
  stop(): Promise<void>;
}

/**
 * Starts the app on a free loopback port (port 0 on its command line) and resolves once it
 * listens. It is killed when this process exits, and exits by itself when its stdin closes, so
 * it never outlives a test.
 */
export async function startFlaskSessionApp(
  options: FlaskSessionAppOptions,
): Promise<FlaskSessionApp> {
  const config = {
    secret: options.secret,
    redis_url: options.redisUrl,
    prefix: options.prefix ?? "session:",
    serializer: options.serializer ?? "msgpack",
    lifetime: options.lifetime ?? 31 * 24 * 3600,
    use_signer: options.useSigner ?? true,
    permanent: options.permanent ?? true,
  };
  const app = await startFlaskApp(SCRIPT, {
    env: { FLASK_SESSION_APP: JSON.stringify(config) },
    needs: "Debian's python3-flask, python3-msgpack and python3-redis",
  });
  return { url: app.url, stop: () => app.close() };
}
