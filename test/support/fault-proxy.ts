/**
 * A TCP proxy on loopback that sits between a store client and a real server (Redis,
 * PostgreSQL) and misbehaves on demand, so fault tests exercise the real client libraries and
 * the real server rather than a mock:
 *
 * - `setLatency(ms)` or `setLatency({ up, down })`: every chunk waits that long before it is
 *   forwarded, client→server ("up") and server→client ("down") separately. Order is kept per
 *   direction: a chunk never overtakes one received before it, so lowering the latency lets
 *   what is already queued drain first, as on a real congested link.
 * - `pause()` / `resume()`: hold every chunk in both directions (a server that stopped
 *   answering, with the connection still open).
 * - `cutAll()`: drop every open connection at once.
 * - `cutAfter(match)`: one shot. The next client→server chunk that `match` accepts is
 *   forwarded to the server, and then the client's side of that connection is destroyed before
 *   any reply can come back: a connection dropped mid-write, after the server got the command.
 * - `stallNext(match, holdMs)`: one shot. The next client→server chunk that `match` accepts is
 *   held back for `holdMs` (or until the test releases it), then forwarded; the chunks after it
 *   on the same connection wait behind it (order is kept), other connections flow freely: a
 *   command stuck on one connection of a pool while the others keep serving.
 *
 * New connections are always accepted; a client library that reconnects gets a fresh,
 * well-behaved connection unless the test arms another fault.
 */
import { createServer, type Server, type Socket, connect as tcpConnect } from "node:net";

export interface ProxyTarget {
  readonly host: string;
  readonly port: number;
}

export interface Latency {
  /** Client→server delay per chunk, ms. */
  readonly up: number;
  /** Server→client delay per chunk, ms. */
  readonly down: number;
}

/** What `stallNext` answers: its chunk's progress, and a way to end the hold early. */
export interface Stall {
  /** Resolves when the chunk is met, and held. */
  readonly held: Promise<void>;
  /** Resolves when the hold is over and the chunk was forwarded to the server. */
  readonly forwarded: Promise<void>;
  /**
   * Resolves when the server sends something on that connection after the chunk was
   * forwarded: for a client that waits for each reply before its next command (a pg
   * connection), the reply to it, so the server has run it.
   */
  readonly answered: Promise<void>;
  /** Forwards the held chunk now rather than when `holdMs` is over; before it is met, disarms. */
  release(): void;
}

/** A stall as the proxy keeps it until a connection meets its chunk. */
interface ArmedStall {
  readonly match: (chunk: Buffer) => boolean;
  readonly holdMs: number;
  /** The chunk was met: `release` ends its hold early. */
  readonly met: (release: () => void) => void;
  readonly forwarded: () => void;
  readonly answered: () => void;
}

/** A chunk a stall holds back: it goes once `until` has passed (and not before its turn). */
interface Hold {
  until: number;
  readonly forwarded: () => void;
}

/** One direction of one connection: a FIFO of chunks, each forwarded once it is due. */
class Pipe {
  readonly #queue: { due: number; chunk: Buffer; hold: Hold | undefined }[] = [];
  #timer: NodeJS.Timeout | undefined;
  readonly #proxy: FaultProxy;
  readonly #forward: (chunk: Buffer) => void;

  constructor(proxy: FaultProxy, forward: (chunk: Buffer) => void) {
    this.#proxy = proxy;
    this.#forward = forward;
  }

  /** Queues `chunk` to go in `delayMs`, or once `hold` lets it (the chunks after it wait). */
  push(chunk: Buffer, delayMs: number, hold?: Hold): void {
    const last = this.#queue.at(-1);
    // Never earlier than the chunk before it: lowering the latency keeps the order.
    const due = Math.max(performance.now() + delayMs, last?.due ?? 0);
    this.#queue.push({ due, chunk, hold });
    this.drain();
  }

  drain(): void {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    while (!this.#proxy.paused) {
      const head = this.#queue[0];
      if (head === undefined) return;
      const wait = Math.max(head.due, head.hold?.until ?? 0) - performance.now();
      if (wait > 0) {
        this.#timer = setTimeout(() => this.drain(), wait);
        return;
      }
      this.#queue.shift();
      this.#forward(head.chunk);
      head.hold?.forwarded();
    }
  }

  clear(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#queue.length = 0;
  }
}

class ProxiedConnection {
  readonly client: Socket;
  readonly server: Socket;
  readonly up: Pipe;
  readonly down: Pipe;
  /** Set by a cut after a write: the server's side is left to finish on its own. */
  #severed = false;
  /** Set once a stalled chunk went to the server: called on the server's next chunk. */
  #awaitingAnswer: (() => void) | undefined;
  #closed = false;

  constructor(proxy: FaultProxy, client: Socket, target: ProxyTarget, onClose: () => void) {
    this.client = client;
    this.server = tcpConnect({ host: target.host, port: target.port });
    this.server.setNoDelay(true);
    client.setNoDelay(true);
    this.up = new Pipe(proxy, (chunk) => {
      if (this.server.writableEnded) return;
      this.server.write(chunk);
      if (proxy.takeCut(chunk)) this.#severAfterWrite();
    });
    this.down = new Pipe(proxy, (chunk) => {
      if (!this.#severed && !client.destroyed) client.write(chunk);
    });
    client.on("data", (chunk: Buffer) => {
      if (this.#severed) return;
      const stall = proxy.takeStall(chunk);
      if (stall === undefined) {
        this.up.push(chunk, proxy.latency.up);
        return;
      }
      const hold: Hold = {
        until: performance.now() + proxy.latency.up + stall.holdMs,
        forwarded: () => {
          this.#awaitingAnswer = stall.answered;
          stall.forwarded();
        },
      };
      this.up.push(chunk, proxy.latency.up, hold);
      stall.met(() => {
        hold.until = 0;
        this.up.drain();
      });
    });
    this.server.on("data", (chunk: Buffer) => {
      const answered = this.#awaitingAnswer;
      this.#awaitingAnswer = undefined;
      answered?.();
      this.down.push(chunk, proxy.latency.down);
    });
    const close = (): void => {
      if (this.#closed) return;
      this.#closed = true;
      this.up.clear();
      this.down.clear();
      client.destroy();
      this.server.destroy();
      onClose();
    };
    // An error on either side (a reset, a refused upstream) ends the pair, as a real hop would;
    // after a cut, the client's side is already gone and only the server's end closes it.
    client.on("error", () => {
      if (!this.#severed) close();
    });
    client.on("close", () => {
      if (!this.#severed) close();
    });
    this.server.on("error", close);
    this.server.on("close", close);
  }

  /**
   * The write has gone to the server: the client's side drops now, so no reply reaches it.
   * The server's side is half-closed (FIN), not reset, so the server still reads and runs
   * everything it was sent; its replies are discarded. A server that keeps its side open is
   * dropped after a while.
   */
  #severAfterWrite(): void {
    this.#severed = true;
    this.down.clear();
    this.client.destroy();
    this.server.end();
    setTimeout(() => this.server.destroy(), 5_000).unref();
  }

  destroy(): void {
    this.client.destroy();
    this.server.destroy();
  }
}

export class FaultProxy {
  readonly #server: Server;
  readonly #target: ProxyTarget;
  readonly #connections = new Set<ProxiedConnection>();
  #latency: Latency = { up: 0, down: 0 };
  #paused = false;
  #cut: { match: (chunk: Buffer) => boolean; fired: () => void } | undefined;
  #stall: ArmedStall | undefined;
  /** Connections accepted so far (a client that reconnects adds one). */
  accepted = 0;

  private constructor(server: Server, target: ProxyTarget) {
    this.#server = server;
    this.#target = target;
  }

  /** Starts a proxy to `target` on 127.0.0.1 and a free port. */
  static async start(target: ProxyTarget): Promise<FaultProxy> {
    const server = createServer();
    const proxy = new FaultProxy(server, target);
    server.on("connection", (socket) => proxy.#accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve());
    });
    return proxy;
  }

  get port(): number {
    const address = this.#server.address();
    if (address === null || typeof address === "string") throw new Error("proxy not listening");
    return address.port;
  }

  get latency(): Latency {
    return this.#latency;
  }

  get paused(): boolean {
    return this.#paused;
  }

  /** Connections open now. */
  get open(): number {
    return this.#connections.size;
  }

  /** Delays chunks from now on: one number for both directions, or each on its own. */
  setLatency(latency: number | Latency): void {
    this.#latency = typeof latency === "number" ? { up: latency, down: latency } : latency;
  }

  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    this.#paused = false;
    for (const connection of this.#connections) {
      connection.up.drain();
      connection.down.drain();
    }
  }

  /** Drops every open connection. */
  cutAll(): void {
    for (const connection of this.#connections) connection.destroy();
  }

  /**
   * Arms a one-shot cut: the next client→server chunk that `match` accepts is forwarded and its
   * connection then dropped before the reply. Resolves when it has fired.
   */
  cutAfter(match: (chunk: Buffer) => boolean): Promise<void> {
    return new Promise((resolve) => {
      this.#cut = { match, fired: resolve };
    });
  }

  /** Disarms a cut that has not fired (its promise never resolves). */
  disarm(): void {
    this.#cut = undefined;
  }

  /** Whether the armed cut fires on this chunk (and disarms it if so). */
  takeCut(chunk: Buffer): boolean {
    const cut = this.#cut;
    if (cut === undefined || !cut.match(chunk)) return false;
    this.#cut = undefined;
    cut.fired();
    return true;
  }

  /**
   * Arms a one-shot stall: the next client→server chunk that `match` accepts is held for
   * `holdMs` (on top of any latency) or until `release()`, then forwarded; the later chunks of
   * its connection queue behind it. Arming again replaces a stall that has not met its chunk.
   */
  stallNext(match: (chunk: Buffer) => boolean, holdMs: number): Stall {
    const settle = (): { promise: Promise<void>; resolve: () => void } => {
      let resolve!: () => void;
      const promise = new Promise<void>((done) => {
        resolve = done;
      });
      return { promise, resolve };
    };
    const held = settle();
    const forwarded = settle();
    const answered = settle();
    let releaseHeld: (() => void) | undefined;
    const armed: ArmedStall = {
      match,
      holdMs,
      met: (release) => {
        releaseHeld = release;
        held.resolve();
      },
      forwarded: forwarded.resolve,
      answered: answered.resolve,
    };
    this.#stall = armed;
    return {
      held: held.promise,
      forwarded: forwarded.promise,
      answered: answered.promise,
      release: () => {
        if (releaseHeld !== undefined) releaseHeld();
        else if (this.#stall === armed) this.#stall = undefined;
      },
    };
  }

  /** The armed stall, if it takes this chunk (and disarms it if so). */
  takeStall(chunk: Buffer): ArmedStall | undefined {
    const stall = this.#stall;
    if (stall === undefined || !stall.match(chunk)) return undefined;
    this.#stall = undefined;
    return stall;
  }

  /** Stops listening and drops every connection. */
  async close(): Promise<void> {
    this.cutAll();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #accept(socket: Socket): void {
    this.accepted += 1;
    const connection = new ProxiedConnection(this, socket, this.#target, () => {
      this.#connections.delete(connection);
    });
    this.#connections.add(connection);
  }
}
