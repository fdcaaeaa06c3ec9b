/**
 * What the command prints: fixed-width table rows that can be written as they come (a listing
 * of millions of sessions is never held in memory), JSON lines for scripts, and a progress line
 * on stderr for long scans when stderr is a terminal.
 */
import { once } from "node:events";
import type { SessionSummary } from "../stores/contract.ts";

/**
 * Writes one line to stdout; the promise, when there is one, settles once the pipe has room
 * again. A loop over millions of rows awaits it, so output waits for its reader instead of
 * piling up in memory.
 */
export function writeLine(text: string): Promise<void> | undefined {
  if (process.stdout.write(`${text}\n`)) return undefined;
  return once(process.stdout, "drain").then(() => undefined);
}

const ID_WIDTH = 43;
const TIME_WIDTH = 24;

export function summaryHeader(): string {
  return `${"ID".padEnd(ID_WIDTH)}  ${"CREATED".padEnd(TIME_WIDTH)}  EXPIRES`;
}

export function summaryRow(session: SessionSummary): string {
  return `${session.id.padEnd(ID_WIDTH)}  ${isoTime(session.createdAt).padEnd(TIME_WIDTH)}  ${isoTime(session.expiresAt)}`;
}

export function summaryJson(session: SessionSummary): string {
  return JSON.stringify({
    id: session.id,
    createdAt: isoTime(session.createdAt),
    expiresAt: isoTime(session.expiresAt),
  });
}

export function isoTime(ms: number): string {
  return Number.isFinite(ms) ? new Date(ms).toISOString() : String(ms);
}

/** `key  value` lines, the keys padded to one column. */
export function keyValueTable(rows: readonly (readonly [string, string])[]): string {
  const width = Math.max(...rows.map(([key]) => key.length));
  return rows.map(([key, value]) => `${key.padEnd(width)}  ${value}`).join("\n");
}

/** JSON for the terminal: bytes as base64, the tagged Flask types by their text. */
export function printable(_key: string, value: unknown): unknown {
  if (value instanceof Uint8Array) return { bytes: Buffer.from(value).toString("base64") };
  if (typeof value === "bigint") return value.toString();
  return value;
}

/**
 * "scanned 12,345 sessions" on one stderr line, redrawn at most ten times a second, on a
 * terminal only: a script reading stderr gets nothing but errors.
 */
export class Progress {
  readonly #enabled: boolean;
  readonly #label: string;
  #count = 0;
  #drawnAt = 0;

  constructor(label: string, enabled = process.stderr.isTTY === true) {
    this.#label = label;
    this.#enabled = enabled;
  }

  tick(): void {
    this.#count += 1;
    if (!this.#enabled || (this.#count & 1023) !== 0) return;
    const now = Date.now();
    if (now - this.#drawnAt < 100) return;
    this.#drawnAt = now;
    process.stderr.write(`\r${this.#label} ${this.#count.toLocaleString("en")} sessions…`);
  }

  done(): void {
    if (this.#enabled && this.#drawnAt !== 0) process.stderr.write("\r\x1b[K");
  }
}

/**
 * Progress through a known number of items on stderr: on a terminal a bar redrawn in place
 * (`[#####.....] 120/500`, at most ten times a second); elsewhere (a log file, CI) a plain line
 * at each tenth of the way and at least every ten seconds, so a long run shows it is alive.
 * `total` is counted beforehand and can be passed (items added meanwhile): the bar stays full.
 */
export class CountProgress {
  readonly #label: string;
  readonly #total: number;
  readonly #mode: "bar" | "lines" | "off";
  #count = 0;
  #drawnAt = 0;
  #tenths = 0;
  /** The count the bar last showed, or -1 before the first draw. */
  #drawnCount = -1;

  constructor(
    label: string,
    total: number,
    mode: "bar" | "lines" | "off" = process.stderr.isTTY === true ? "bar" : "lines",
  ) {
    this.#label = label;
    this.#total = total;
    this.#mode = mode;
    // The bar shows at once; the first plain line waits for a tenth of the way, or ten seconds.
    this.#drawnAt = mode === "bar" ? 0 : Date.now();
  }

  tick(): void {
    this.#count += 1;
    if (this.#mode === "off") return;
    const now = Date.now();
    if (this.#mode === "bar") {
      if (now - this.#drawnAt < 100 && this.#count !== this.#total) return;
      this.#drawnAt = now;
      this.#drawnCount = this.#count;
      process.stderr.write(`\r${this.#bar()}`);
      return;
    }
    const tenths = this.#total === 0 ? 10 : Math.floor((this.#count * 10) / this.#total);
    if (tenths <= this.#tenths && now - this.#drawnAt < 10_000) return;
    this.#tenths = Math.max(this.#tenths, tenths);
    this.#drawnAt = now;
    process.stderr.write(`${this.#label} ${this.#fraction()}\n`);
  }

  /** Ends the bar's line (a terminal's next output starts on a line of its own). */
  done(): void {
    if (this.#mode !== "bar" || this.#drawnCount === -1) return;
    process.stderr.write(this.#drawnCount === this.#count ? "\n" : `\r${this.#bar()}\n`);
  }

  #bar(): string {
    const width = 30;
    const filled =
      this.#total === 0 ? width : Math.min(width, Math.floor((this.#count * width) / this.#total));
    return `[${"#".repeat(filled)}${".".repeat(width - filled)}] ${this.#fraction()}`;
  }

  #fraction(): string {
    const total = Math.max(this.#total, this.#count);
    return `${this.#count.toLocaleString("en")}/${total.toLocaleString("en")}`;
  }
}
