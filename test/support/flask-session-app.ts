/**
 * Real Flask apps with Flask-Session 0.8's server-side sessions, for tests that share sessions
 * between Flask and tessera: in Redis (test/interop/flask_session_app.py, on Debian's
 * python3-flask, python3-msgpack and python3-redis) or in a PostgreSQL table through
 * Flask-SQLAlchemy (test/interop/flask_session_sqlalchemy_app.py, on python3-flask-sqlalchemy
 * and python3-psycopg2).
 */
import { fileURLToPath } from "node:url";
import { startFlaskApp } from "./flask-app.ts";

const REDIS_SCRIPT = fileURLToPath(new URL("../interop/flask_session_app.py", import.meta.url));
const SQL_SCRIPT = fileURLToPath(
  new URL("../interop/flask_session_sqlalchemy_app.py", import.meta.url),
);

/** What every Flask-Session backend is configured with. */
export interface FlaskSessionConfig {
  /** Flask's SECRET_KEY. */
  readonly secret: string;
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

export interface FlaskSessionAppOptions extends FlaskSessionConfig {
  /** The Redis the app keeps its sessions in. */
  readonly redisUrl: string;
}

export interface FlaskSessionSqlAppOptions extends FlaskSessionConfig {
  /** The PostgreSQL database the app keeps its sessions in (postgres:// or postgresql://). */
  readonly databaseUrl: string;
  /** SESSION_SQLALCHEMY_TABLE; default "sessions". */
  readonly table?: string;
}

export interface FlaskSessionApp {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** Kills the app (idempotent) and resolves once it has exited. */
  stop(): Promise<void>;
}

/**
 * Starts the Redis app on a free loopback port (port 0 on its command line) and resolves once
 * it listens. It is killed when this process exits, and exits by itself when its stdin closes,
 * so it never outlives a test.
 */
export function startFlaskSessionApp(options: FlaskSessionAppOptions): Promise<FlaskSessionApp> {
  return start(
    REDIS_SCRIPT,
    { ...configOf(options), redis_url: options.redisUrl },
    "Debian's python3-flask, python3-msgpack and python3-redis",
  );
}

/** As startFlaskSessionApp, for the app with Flask-Session's SQL sessions (SESSION_TYPE "sqlalchemy"). */
export function startFlaskSessionSqlApp(
  options: FlaskSessionSqlAppOptions,
): Promise<FlaskSessionApp> {
  return start(
    SQL_SCRIPT,
    {
      ...configOf(options),
      // SQLAlchemy 1.4 knows the scheme as postgresql only.
      database_url: options.databaseUrl.replace(/^postgres:/, "postgresql:"),
      table: options.table ?? "sessions",
    },
    "Debian's python3-flask, python3-msgpack, python3-flask-sqlalchemy and python3-psycopg2",
  );
}

function configOf(options: FlaskSessionConfig): Record<string, unknown> {
  return {
    secret: options.secret,
    prefix: options.prefix ?? "session:",
    serializer: options.serializer ?? "msgpack",
    lifetime: options.lifetime ?? 31 * 24 * 3600,
    use_signer: options.useSigner ?? true,
    permanent: options.permanent ?? true,
  };
}

async function start(
  script: string,
  config: Record<string, unknown>,
  needs: string,
): Promise<FlaskSessionApp> {
  const app = await startFlaskApp(script, {
    env: { FLASK_SESSION_APP: JSON.stringify(config) },
    needs,
  });
  return { url: app.url, stop: () => app.close() };
}
