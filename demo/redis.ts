import { createClient } from "redis";
import { ConfigError, StoreUnavailableError } from "../src/errors.ts";
import { type RedisStore, redisStore } from "../src/stores/redis/index.ts";
import { type RecordReader, redisRecordReader } from "./inspect/record.ts";

/** How long the start waits for Redis before it gives up with a message. */
const CONNECT_TIMEOUT_MS = 5_000;
/** How long a stop waits for the client to finish its commands before it drops them. */
const CLOSE_TIMEOUT_MS = 1_000;

export interface DemoRedis {
  readonly store: RedisStore;
  /** `redis://host:port[/db]`: where the sessions are, without the credentials. */
  readonly where: string;
  /** The session's hash as redis-cli shows it, for /inspect. */
  readonly readRecord: RecordReader;
  /** Connects the client; rejects with a one-line StoreUnavailableError after 5 s. */
  connect(): Promise<void>;
  /** Quits the client, after the sessions have been closed. */
  close(): Promise<void>;
}

/** Whether SESSION_STORE names a Redis server. */
export function isRedisSetting(setting: string): boolean {
  return /^rediss?:\/\//i.test(setting);
}

/**
 * The Redis store for SESSION_STORE=redis://[user:password@]HOST[:PORT][/DB] (rediss:// for
 * TLS), on a node-redis client the demo owns: the store never closes a client, the app does.
 * Sessions know their user by the `username` key, so the store can revoke them all.
 */
export function openRedis(setting: string, prefix: string): DemoRedis {
  const where = redisLocation(setting);
  const client = createClient({ url: setting });
  let lastError: string | undefined;
  let connected = false;
  let down = false;
  // The store listens for "error" too, but stops when it is closed and the client lives on
  // until it quits: without a listener an "error" event would end the process.
  client.on("error", (error: unknown) => {
    lastError = error instanceof Error ? error.message : String(error);
    if (connected && !down) {
      down = true;
      console.error(
        `tessera demo: lost Redis at ${where} (${lastError}); session requests get 503 until it is back.`,
      );
    }
  });
  client.on("ready", () => {
    if (!down) return;
    down = false;
    console.log(`tessera demo: Redis at ${where} is back.`);
  });
  const store = redisStore({ client, prefix, userKey: "username" });

  return {
    store,
    where,
    readRecord: redisRecordReader(client, prefix, where),
    async connect() {
      const connecting = client.connect();
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<"timeout">((resolve) => {
        timer = setTimeout(() => resolve("timeout"), CONNECT_TIMEOUT_MS);
      });
      try {
        const outcome = await Promise.race([connecting, timeout]);
        if (outcome === "timeout") {
          throw new StoreUnavailableError(
            "connect",
            `Redis at ${where} did not answer within ${CONNECT_TIMEOUT_MS / 1000} s${lastError ? ` (last error: ${lastError})` : ""}. Start Redis there, or set SESSION_STORE to another store.`,
          );
        }
        connected = true;
      } catch (error) {
        connecting.catch(() => {});
        client.destroy();
        if (error instanceof StoreUnavailableError) throw error;
        throw new StoreUnavailableError(
          "connect",
          `could not connect to Redis at ${where}: ${error instanceof Error ? error.message : String(error)}.`,
          { cause: error },
        );
      } finally {
        clearTimeout(timer);
      }
    },
    async close() {
      if (!client.isOpen) return;
      // close() waits for commands in flight, which never end while Redis is down: bounded.
      let timer: NodeJS.Timeout | undefined;
      const closed = client.close().catch(() => {});
      const late = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, CLOSE_TIMEOUT_MS);
      });
      await Promise.race([closed, late]);
      clearTimeout(timer);
      if (client.isOpen) client.destroy();
    },
  };
}

/**
 * `redis://host:port` (and `/db` when one is chosen) for messages: never the user name or the
 * password. A malformed setting is a ConfigError that does not repeat it either.
 */
export function redisLocation(setting: string): string {
  const usage = "use redis://HOST:PORT, redis://USER:PASSWORD@HOST:PORT/DB, or rediss:// for TLS";
  let url: URL;
  try {
    url = new URL(setting);
  } catch {
    throw new ConfigError(`SESSION_STORE is not a valid Redis URL: ${usage}.`);
  }
  const scheme = url.protocol.toLowerCase();
  if (url.hostname === "") {
    throw new ConfigError(`SESSION_STORE ${scheme}// needs a host: ${usage}.`);
  }
  const db = url.pathname === "/" ? "" : url.pathname.slice(1);
  if (db !== "" && !/^\d+$/.test(db)) {
    throw new ConfigError(
      `SESSION_STORE's Redis database must be a number (the /DB at the end); ${usage}.`,
    );
  }
  if (url.search !== "" || url.hash !== "") {
    throw new ConfigError(`SESSION_STORE's Redis URL takes no query or fragment: ${usage}.`);
  }
  return `${scheme}//${url.hostname}:${url.port || "6379"}${db === "" ? "" : `/${db}`}`;
}
