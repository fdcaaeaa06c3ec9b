/**
 * Durations as users write them: a number of seconds (as Flask's `max_age`), or a string with a
 * unit ("500ms", "30s", "15m", "12h", "31d", "2w"). The template-literal type turns a typo such
 * as `"7days"` into a compile error; the runtime check catches the same mistake from config files
 * (a ConfigError).
 */
import { ConfigError } from "../errors.ts";

export type DurationUnit = "ms" | "s" | "m" | "h" | "d" | "w";
export type Duration = number | `${number}${DurationUnit}`;

const MILLISECONDS_PER_UNIT: Record<DurationUnit, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

const DURATION_PATTERN = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)\s*$/;

/** Converts a duration to whole milliseconds; `what` names the option in the error message. */
export function toMilliseconds(duration: Duration | string, what = "duration"): number {
  if (typeof duration === "number") {
    if (!Number.isFinite(duration) || duration < 0) {
      throw new ConfigError(
        `${what} must be a non-negative number of seconds or a string such as "7d"; got ${String(duration)}`,
      );
    }
    return Math.round(duration * 1_000);
  }
  const match = typeof duration === "string" ? DURATION_PATTERN.exec(duration) : null;
  if (!match) {
    throw new ConfigError(
      `${what} ${JSON.stringify(duration)} is not a duration: use seconds (a number) or a number with one of the units ms, s, m, h, d, w, such as "31d"`,
    );
  }
  return Math.round(Number(match[1]) * MILLISECONDS_PER_UNIT[match[2] as DurationUnit]);
}

/** Converts a duration to whole seconds, rounding down, as cookie Max-Age needs. */
export function toSeconds(duration: Duration | string, what = "duration"): number {
  return Math.floor(toMilliseconds(duration, what) / 1_000);
}
