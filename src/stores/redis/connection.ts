/**
 * One face for the Redis clients users already have: node-redis (v5 and later: a client, a
 * cluster or a sentinel) and ioredis (a client, possibly behind Sentinel, or a cluster). The
 * store only sends raw commands routed by key, runs SCAN on every primary, and asks whether the
 * client is connected, so it works the same on any of them and imports neither library.
 */
import { ConfigError } from "../../errors.ts";

/** A reply as the clients give it for raw commands: strings, integers, arrays and null. */
export type Reply = string | number | null | Reply[];

/** A reply to `binaryCommand`: bulk strings come back as bytes, untouched by any text decoding. */
export type BinaryReply = Buffer | string | number | null | BinaryReply[];

/** A command argument: text (sent as UTF-8) or bytes (sent as they are). */
export type Argument = string | Uint8Array;

export interface RedisConnection {
  /** "node-redis" or "ioredis", for messages. */
  readonly library: string;
  /** Whether keys are sharded over several primaries (Redis Cluster). */
  readonly cluster: boolean;
  /** Sends one command to the node that owns `key`. */
  command(key: string, args: readonly string[]): Promise<Reply>;
  /**
   * Sends one command whose arguments may be bytes to the node that owns `key`; bulk strings
   * in the reply come back as Buffers (MessagePack records are not text).
   */
  binaryCommand(key: string, args: readonly Argument[]): Promise<BinaryReply>;
  /**
   * A sender bound to each primary (one for a single server, one per master of a cluster), for
   * the commands that walk the whole keyspace (SCAN) one node at a time.
   */
  primaries(): Promise<((args: readonly string[]) => Promise<Reply>)[]>;
  /**
   * Why commands cannot be sent now (the client is disconnected or reconnecting), or undefined
   * when they can. Checked before every call so an outage fails fast instead of queueing.
   */
  notReadyReason(): string | undefined;
  /** The last connection error the client reported, for messages. */
  lastError(): string | undefined;
  /** Stops listening to the client (the client itself stays open: it belongs to the app). */
  release(): void;
}

// The structural shapes the store relies on. They are deliberately loose: both libraries type
// their clients with deep generics, and the store must accept every variant of them.
interface Listenable {
  on(event: "error" | "ready", listener: (error: unknown) => void): unknown;
  off?(event: "error" | "ready", listener: (error: unknown) => void): unknown;
  removeListener?(event: "error" | "ready", listener: (error: unknown) => void): unknown;
}
/**
 * Per-command options for node-redis:
 * - node-redis 6 speaks RESP3, where HGETALL's reply is a map that it would turn into a plain
 *   object, losing a field named "__proto__". Maps come back as flat arrays instead, the same
 *   reply on every client and protocol (37 is RESP3's map type, "%").
 * - node-redis 6 arms a 5 s AbortSignal timer per command; the store bounds every call with its
 *   own deadline (one timer for all calls), so `timeout: 0` leaves that second timer out: it
 *   cost a sixth of a session read's CPU.
 */
const NODE_REDIS_REPLY_TYPES = Object.freeze({
  typeMapping: Object.freeze({ 37: Array }),
  timeout: 0,
});
/** As NODE_REDIS_REPLY_TYPES, with bulk strings (RESP type 36, "$") as Buffers. */
const NODE_REDIS_BINARY_REPLY_TYPES = Object.freeze({
  typeMapping: Object.freeze({ 36: Buffer, 37: Array }),
  timeout: 0,
});
type NodeRedisCommandOptions = typeof NODE_REDIS_REPLY_TYPES | typeof NODE_REDIS_BINARY_REPLY_TYPES;
type NodeRedisArgument = string | Buffer;

interface NodeRedisClient extends Listenable {
  readonly isOpen: boolean;
  readonly isReady: boolean;
  sendCommand(args: NodeRedisArgument[], options?: NodeRedisCommandOptions): Promise<unknown>;
}
interface NodeRedisSentinel extends Listenable {
  readonly isOpen: boolean;
  readonly isReady: boolean;
  getMasterNode(): unknown;
  sendCommand(
    isReadonly: boolean | undefined,
    args: NodeRedisArgument[],
    options?: NodeRedisCommandOptions,
  ): Promise<unknown>;
}
interface NodeRedisCluster extends Listenable {
  readonly isOpen: boolean;
  /** Absent on node-redis 5's cluster. */
  readonly isReady?: boolean;
  readonly masters: readonly unknown[];
  nodeClient(node: unknown): Promise<NodeRedisClient> | NodeRedisClient;
  sendCommand(
    firstKey: string,
    isReadonly: boolean | undefined,
    args: NodeRedisArgument[],
    options?: NodeRedisCommandOptions,
  ): Promise<unknown>;
}
interface IoRedisClient extends Listenable {
  readonly status: string;
  readonly isCluster: boolean;
  readonly options?: { readonly keyPrefix?: string | undefined };
  // The arguments go as one array (ioredis flattens it): spread, a long patch would overflow
  // the call stack.
  call(command: string, args: string[]): Promise<unknown>;
  callBuffer(command: string, args: (string | Buffer)[]): Promise<unknown>;
  nodes?(role: "master"): IoRedisClient[];
}

/**
 * The client types `redisStore` accepts. Any node-redis or ioredis client satisfies one of
 * these; anything else is a compile error at the `redisStore({ client })` call.
 */
export type RedisClientLike =
  | NodeRedisClient
  | NodeRedisSentinel
  | NodeRedisCluster
  | IoRedisClient;

export function connect(client: RedisClientLike): RedisConnection {
  const unknownClient = client as unknown as Record<string, unknown> | null;
  if (typeof unknownClient !== "object" || unknownClient === null) {
    throw new ConfigError(
      `redisStore needs { client }: a connected node-redis client (createClient(), createCluster() or createSentinel() from "redis") or an ioredis client; got ${String(client)}.`,
    );
  }
  if (typeof unknownClient.call === "function" && typeof unknownClient.status === "string") {
    return ioredisConnection(client as IoRedisClient);
  }
  if (typeof unknownClient.sendCommand === "function" && "isOpen" in unknownClient) {
    // Checked first: node-redis 5's cluster has no isReady.
    if ("masters" in unknownClient && typeof unknownClient.nodeClient === "function") {
      return nodeRedisClusterConnection(client as NodeRedisCluster);
    }
    if (typeof unknownClient.getMasterNode === "function") {
      return nodeRedisSentinelConnection(client as NodeRedisSentinel);
    }
    return nodeRedisConnection(client as NodeRedisClient);
  }
  throw new ConfigError(
    'redisStore\'s client is neither a node-redis nor an ioredis client. Pass the client itself: createClient() from "redis" (after `await client.connect()`) or `new Redis()` from "ioredis".',
  );
}

/**
 * Listens for the client's "error" events: node-redis re-emits every connection error, and an
 * EventEmitter with no listener turns that into an uncaught exception that ends the process.
 * The last message is kept to explain a 503.
 */
function watchErrors(client: Listenable): { lastError(): string | undefined; release(): void } {
  let last: string | undefined;
  const listener = (error: unknown): void => {
    last = error instanceof Error ? error.message : String(error);
  };
  client.on("error", listener);
  return {
    lastError: () => last,
    release() {
      if (typeof client.off === "function") client.off("error", listener);
      else client.removeListener?.("error", listener);
    },
  };
}

function nodeRedisReadiness(client: {
  isOpen: boolean;
  isReady?: boolean | undefined;
}): string | undefined {
  if (!client.isOpen) {
    return "the node-redis client is not open: call `await client.connect()` before serving requests (or it was closed)";
  }
  if (client.isReady === false) return "the node-redis client is reconnecting to Redis";
  return undefined;
}

function nodeRedisConnection(client: NodeRedisClient): RedisConnection {
  return singleNodeRedisConnection(client, (args, options) => client.sendCommand(args, options));
}

function nodeRedisSentinelConnection(client: NodeRedisSentinel): RedisConnection {
  // A sentinel client takes "is it read-only" first; false sends every command to the primary.
  return singleNodeRedisConnection(client, (args, options) =>
    client.sendCommand(false, args, options),
  );
}

/** Arguments as both libraries take them: bytes as Buffers (a Uint8Array is not sent as bytes). */
function asBuffers(args: readonly Argument[]): (string | Buffer)[] {
  return args.map((arg) =>
    typeof arg === "string" || Buffer.isBuffer(arg)
      ? arg
      : Buffer.from(arg.buffer, arg.byteOffset, arg.byteLength),
  );
}

/** A node-redis client whose commands all go to one primary (a plain client or a sentinel). */
function singleNodeRedisConnection(
  client: Listenable & { isOpen: boolean; isReady: boolean },
  sendCommand: (args: NodeRedisArgument[], options: NodeRedisCommandOptions) => Promise<unknown>,
): RedisConnection {
  const errors = watchErrors(client);
  const send = (args: readonly string[]) =>
    sendCommand(args as string[], NODE_REDIS_REPLY_TYPES) as Promise<Reply>;
  return {
    library: "node-redis",
    cluster: false,
    command: (_key, args) => send(args),
    binaryCommand: (_key, args) =>
      sendCommand(asBuffers(args), NODE_REDIS_BINARY_REPLY_TYPES) as Promise<BinaryReply>,
    primaries: async () => [send],
    notReadyReason: () => nodeRedisReadiness(client),
    ...errors,
  };
}

function nodeRedisClusterConnection(client: NodeRedisCluster): RedisConnection {
  const errors = watchErrors(client);
  return {
    library: "node-redis",
    cluster: true,
    command: (key, args) =>
      client.sendCommand(key, false, args as string[], NODE_REDIS_REPLY_TYPES) as Promise<Reply>,
    binaryCommand: (key, args) =>
      client.sendCommand(
        key,
        false,
        asBuffers(args),
        NODE_REDIS_BINARY_REPLY_TYPES,
      ) as Promise<BinaryReply>,
    async primaries() {
      const nodes = await Promise.all(
        [...client.masters].map((primary) => client.nodeClient(primary)),
      );
      return nodes.map(
        (node) => (args: readonly string[]) =>
          node.sendCommand(args as string[], NODE_REDIS_REPLY_TYPES) as Promise<Reply>,
      );
    },
    notReadyReason: () => nodeRedisReadiness(client),
    ...errors,
  };
}

/**
 * Whether an ioredis client in `status` takes commands now. "wait" (lazyConnect) and the first
 * "connecting" are a client starting up: its commands go out once it connects. After it has
 * been ready once, "connecting" is a reconnect during an outage, and a command then would sit
 * in ioredis's offline queue until the deadline (and run whenever Redis comes back): it fails
 * at once instead.
 */
function ioredisTakesCommands(status: string, everReady: boolean): boolean {
  if (status === "ready" || status === "wait") return true;
  return !everReady && (status === "connect" || status === "connecting");
}

function ioredisConnection(client: IoRedisClient): RedisConnection {
  const errors = watchErrors(client);
  let everReady = client.status === "ready";
  const onReady = (): void => {
    everReady = true;
  };
  client.on("ready", onReady);
  const send = (target: IoRedisClient, args: readonly string[]) =>
    target.call(args[0] as string, args.slice(1)) as Promise<Reply>;
  return {
    library: "ioredis",
    cluster: client.isCluster,
    // ioredis finds the keys of every command itself, EVALSHA included, and routes by them.
    command: (_key, args) => send(client, args),
    binaryCommand: (_key, args) =>
      client.callBuffer(String(args[0]), asBuffers(args.slice(1))) as Promise<BinaryReply>,
    async primaries() {
      const primaries = client.isCluster ? (client.nodes?.("master") ?? []) : [client];
      return primaries.map((primary) => (args: readonly string[]) => send(primary, args));
    },
    notReadyReason() {
      if (ioredisTakesCommands(client.status, everReady)) return undefined;
      if (client.status === "end") {
        return "the ioredis client was closed (quit or disconnect): create a new one";
      }
      return `the ioredis client is ${client.status} (not connected to Redis)`;
    },
    lastError: errors.lastError,
    release() {
      errors.release();
      if (typeof client.off === "function") client.off("ready", onReady);
      else client.removeListener?.("ready", onReady);
    },
  };
}

/** ioredis adds its own `keyPrefix` to every key it sends, but not to SCAN's MATCH pattern. */
export function clientKeyPrefix(client: RedisClientLike): string {
  const options = (client as { options?: { keyPrefix?: unknown } }).options;
  return typeof options?.keyPrefix === "string" &&
    typeof (client as { call?: unknown }).call === "function"
    ? options.keyPrefix
    : "";
}
