import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { generateSecret } from "../src/crypto/secret.ts";
import { ConfigError } from "../src/errors.ts";
import type { SessionStore } from "../src/stores/contract.ts";
import { memoryStore } from "../src/stores/memory.ts";
import { sqliteStore } from "../src/stores/sqlite.ts";
import type { Duration } from "../src/util/duration.ts";
import { memoryRecordReader } from "./inspect/memory-record.ts";
import type { RecordReader } from "./inspect/record.ts";
import { sqliteRecordReader } from "./inspect/sqlite-record.ts";
import { isPostgresSetting, openPostgres } from "./postgres.ts";
import { isRedisSetting, openRedis } from "./redis.ts";

export interface DemoConfig {
  readonly port: number;
  readonly host: string;
  readonly secret: string;
  /** Where sessions are kept; undefined for cookie sessions (SESSION_STORE=cookie:FORMAT). */
  readonly store: SessionStore | undefined;
  /** How sessions travel: an id in the cookie, or the whole session (Flask's or sealed). */
  readonly format: "id" | "flask" | "sealed";
  readonly storeDescription: string;
  /** The same in Chinese, for the pages. */
  readonly storeDescriptionZh: string;
  /** Reads a session's record as the store holds it, for /inspect; undefined for cookie sessions. */
  readonly readRecord: RecordReader | undefined;
  /** SESSION_LIFETIME: how long an unused session lives (Flask's PERMANENT_SESSION_LIFETIME). */
  readonly lifetime: Duration | undefined;
  readonly notices: readonly string[];
  /**
   * Makes the store ready to serve (connects to Redis; nothing for the embedded stores). The
   * server awaits it before it listens; a store that does not answer rejects with a one-line
   * TesseraError.
   */
  readonly connect: () => Promise<void>;
  /** Closes what the setting opened besides the store (the Redis client), after the sessions. */
  readonly disconnect: () => Promise<void>;
}

interface OpenedStore {
  readonly store: SessionStore | undefined;
  readonly format?: "flask" | "sealed";
  readonly description: string;
  readonly descriptionZh: string;
  readonly readRecord?: RecordReader;
  readonly connect?: () => Promise<void>;
  readonly disconnect?: () => Promise<void>;
}

const SECRET_FILE = "data/secret-key";

/**
 * Reads the demo's settings from the environment, as documented in README.md. It opens no
 * connection: `connect()` does, so a setting that cannot work is found before any waiting.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): DemoConfig {
  const notices: string[] = [];
  const port = Number(env.PORT ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new ConfigError(`PORT must be a port number (0-65535); got ${JSON.stringify(env.PORT)}.`);
  }
  const secret = env.SECRET_KEY ?? readOrCreateSecret(notices);
  const opened = openStore(env.SESSION_STORE ?? "sqlite:data/sessions.db", env.SESSION_PREFIX);
  return {
    port,
    host: env.HOST ?? "127.0.0.1",
    secret,
    store: opened.store,
    format: opened.format ?? "id",
    storeDescription: opened.description,
    storeDescriptionZh: opened.descriptionZh,
    readRecord: opened.readRecord,
    lifetime: lifetimeOf(env.SESSION_LIFETIME),
    notices,
    connect: opened.connect ?? (async () => {}),
    disconnect: opened.disconnect ?? (async () => {}),
  };
}

function openStore(setting: string, prefix: string | undefined): OpenedStore {
  if (isRedisSetting(setting)) {
    if (prefix === "") {
      throw new ConfigError(
        'SESSION_PREFIX must not be empty: it is the start of every session key in Redis (default "session:").',
      );
    }
    const redis = openRedis(setting, prefix ?? "session:");
    return {
      store: redis.store,
      description: `redis at ${redis.where}`,
      descriptionZh: `Redis（${redis.where}）`,
      readRecord: redis.readRecord,
      connect: () => redis.connect(),
      disconnect: () => redis.close(),
    };
  }
  if (prefix !== undefined) {
    throw new ConfigError(
      `SESSION_PREFIX only applies to a Redis store (SESSION_STORE=redis://HOST:PORT); SESSION_STORE here is ${JSON.stringify(setting)}.`,
    );
  }
  if (isPostgresSetting(setting)) {
    const postgres = openPostgres(setting);
    return {
      store: postgres.store,
      description: `postgres at ${postgres.where}, table tessera_sessions`,
      descriptionZh: `PostgreSQL（${postgres.where}，表 tessera_sessions）`,
      readRecord: postgres.readRecord,
      connect: () => postgres.connect(),
      disconnect: () => postgres.close(),
    };
  }
  if (setting.startsWith("cookie:")) {
    const format = setting.slice("cookie:".length);
    if (format !== "flask" && format !== "sealed") {
      throw new ConfigError(
        `SESSION_STORE ${JSON.stringify(setting)}: cookie sessions are cookie:flask (Flask's own signed cookie, shared with a Flask app whose app.secret_key is SECRET_KEY) or cookie:sealed (encrypted).`,
      );
    }
    return {
      store: undefined,
      format,
      description:
        format === "flask"
          ? "in the cookie, Flask's format (a Flask app with the same SECRET_KEY shares the login)"
          : "in the cookie, sealed (AES-256-GCM)",
      descriptionZh:
        format === "flask"
          ? "在 cookie 里，Flask 的格式（使用同一个 SECRET_KEY 的 Flask 应用可以共享登录）"
          : "在 cookie 里，密封（AES-256-GCM 加密）",
    };
  }
  if (setting === "memory") {
    const store = memoryStore();
    return {
      store,
      description: "memory (sessions end when the process stops)",
      descriptionZh: "内存（进程停止时会话就结束）",
      readRecord: memoryRecordReader(store),
    };
  }
  if (setting.startsWith("sqlite:")) {
    const path = setting.slice("sqlite:".length);
    if (path.length === 0) {
      throw new ConfigError(
        'SESSION_STORE "sqlite:" needs a file path, such as sqlite:data/sessions.db.',
      );
    }
    return {
      // Sessions know their user by the `username` key, so the store can list and revoke them all.
      store: sqliteStore({ path, userKey: "username" }),
      description: `sqlite at ${path}`,
      descriptionZh: `SQLite（文件 ${path}）`,
      readRecord: sqliteRecordReader(path),
    };
  }
  throw new ConfigError(
    `SESSION_STORE ${JSON.stringify(setting)} is not known: use sqlite:PATH (default sqlite:data/sessions.db), memory, redis://HOST:PORT (also redis://USER:PASSWORD@HOST:PORT/DB and rediss:// for TLS), postgres://USER@HOST:PORT/DATABASE, cookie:flask or cookie:sealed.`,
  );
}

/**
 * SESSION_LIFETIME as createSessions takes it: a number of seconds ("30") or a duration ("30s",
 * "15m", "31d"); createSessions checks it and names what is wrong.
 */
function lifetimeOf(setting: string | undefined): Duration | undefined {
  if (setting === undefined || setting.trim() === "") return undefined;
  const trimmed = setting.trim();
  return /^\d+$/.test(trimmed) ? Number(trimmed) : (trimmed as Duration);
}

/**
 * Without SECRET_KEY the demo makes one on first start and keeps it, readable by this user only,
 * so sessions survive restarts; a real deployment sets SECRET_KEY instead.
 */
function readOrCreateSecret(notices: string[]): string {
  if (existsSync(SECRET_FILE)) {
    const mode = statSync(SECRET_FILE).mode & 0o777;
    if (mode & 0o077) {
      chmodSync(SECRET_FILE, 0o600);
      notices.push(
        `${SECRET_FILE} was readable by others (mode ${mode.toString(8)}); it is now 600.`,
      );
    }
    return readFileSync(SECRET_FILE, "utf8").trim();
  }
  mkdirSync(dirname(SECRET_FILE), { recursive: true });
  const secret = generateSecret();
  writeFileSync(SECRET_FILE, `${secret}\n`, { mode: 0o600, flag: "wx" });
  notices.push(
    `No SECRET_KEY was set, so a new secret was generated and saved in ${SECRET_FILE} (mode 600). Set SECRET_KEY to use your own.`,
  );
  return secret;
}
