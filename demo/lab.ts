/**
 * The cookie lab's form: what the visitor chose, and the cookie options it means. The choices
 * are passed to the cookie jar as they are, so what the page reports as refused is what tessera
 * itself refuses (a `__Host-` cookie with a Domain, SameSite=None without Secure, over 4096 bytes).
 */
import type { CookieOptions } from "../src/cookies/options.ts";

export type Prefix = "" | "__Host-" | "__Secure-";
export type SameSiteChoice = "lax" | "strict" | "none";

/** The lab form's fields, as the visitor left them (the page is redrawn with them). */
export interface LabChoice {
  readonly prefix: Prefix;
  readonly name: string;
  readonly value: string;
  /** Seconds, as typed; empty for none. */
  readonly maxAge: string;
  /** A datetime-local value read as UTC; empty for none. */
  readonly expires: string;
  readonly path: string;
  readonly domain: string;
  readonly secure: boolean;
  readonly httpOnly: boolean;
  readonly sameSite: SameSiteChoice;
  readonly partitioned: boolean;
  readonly signed: boolean;
}

/** The form as it first appears: the walkthrough's `user` cookie, for a week. */
export const DEFAULT_CHOICE: LabChoice = {
  prefix: "",
  name: "user",
  value: "",
  maxAge: "604800",
  expires: "",
  path: "/",
  domain: "",
  secure: false,
  httpOnly: true,
  sameSite: "lax",
  partitioned: false,
  signed: false,
};

/** Reads the submitted form. Checkboxes that are absent were unticked. */
export function readChoice(form: URLSearchParams): LabChoice {
  const prefix = form.get("prefix");
  const sameSite = form.get("sameSite");
  return {
    prefix: prefix === "__Host-" || prefix === "__Secure-" ? prefix : "",
    name: (form.get("name") ?? "").trim(),
    value: form.get("value") ?? "",
    maxAge: (form.get("maxAge") ?? "").trim(),
    expires: (form.get("expires") ?? "").trim(),
    path: (form.get("path") ?? "").trim(),
    domain: (form.get("domain") ?? "").trim(),
    secure: form.has("secure"),
    httpOnly: form.has("httpOnly"),
    sameSite: sameSite === "strict" || sameSite === "none" ? sameSite : "lax",
    partitioned: form.has("partitioned"),
    signed: form.has("signed"),
  };
}

/** The cookie's full name and options, or a message saying which field is not understood. */
export function optionsOf(
  choice: LabChoice,
): { name: string; options: CookieOptions } | { problem: { en: string; zh: string } } {
  if (choice.name === "") {
    return { problem: { en: "Give the cookie a name.", zh: "请给 cookie 起个名字。" } };
  }
  const options: CookieOptions = {
    secure: choice.secure,
    httpOnly: choice.httpOnly,
    sameSite: choice.sameSite,
  };
  if (choice.path !== "") options.path = choice.path;
  if (choice.domain !== "") options.domain = choice.domain;
  if (choice.partitioned) options.partitioned = true;
  if (choice.maxAge !== "") {
    const seconds = /^\d{1,12}$/.test(choice.maxAge) ? Number(choice.maxAge) : Number.NaN;
    if (Number.isNaN(seconds)) {
      return {
        problem: {
          en: `Max-Age is a whole number of seconds (0 deletes the cookie); got ${JSON.stringify(choice.maxAge)}.`,
          zh: `Max-Age 必须是整数秒（0 表示删除）；收到的是 ${JSON.stringify(choice.maxAge)}。`,
        },
      };
    }
    options.maxAge = seconds;
  }
  if (choice.expires !== "") {
    const expires = new Date(`${choice.expires}Z`);
    if (Number.isNaN(expires.getTime())) {
      return {
        problem: {
          en: `Expires must be a date and time (UTC); got ${JSON.stringify(choice.expires)}.`,
          zh: `Expires 必须是日期时间（UTC）；收到的是 ${JSON.stringify(choice.expires)}。`,
        },
      };
    }
    options.expires = expires;
  }
  return { name: choice.prefix + choice.name, options };
}

/** Browsers keep a cookie at most 400 days, whatever it asks (rfc6265bis §5.6.1, §5.6.2). */
const BROWSER_CAP_SECONDS = 400 * 86_400;

/** What the browser will make of a cookie tessera sent as asked, where that is not obvious. */
export function notesOn(options: CookieOptions): Array<{ en: string; zh: string }> {
  const notes: Array<{ en: string; zh: string }> = [];
  const lifetimeSeconds =
    typeof options.maxAge === "number"
      ? options.maxAge
      : options.expires === undefined
        ? undefined
        : (options.expires.getTime() - Date.now()) / 1000;
  if (lifetimeSeconds !== undefined && lifetimeSeconds > BROWSER_CAP_SECONDS) {
    notes.push({
      en: "Browsers keep a cookie at most 400 days, so this one ends after 400 days, not when its Max-Age or Expires says.",
      zh: "浏览器最多保存 cookie 400 天，所以它会在 400 天后失效，而不是 Max-Age 或 Expires 所说的时间。",
    });
  }
  if (
    options.maxAge === 0 ||
    (options.expires !== undefined && options.expires.getTime() <= Date.now())
  ) {
    notes.push({
      en: "It expires at once (Max-Age=0 or an Expires in the past): this is how a cookie is deleted.",
      zh: "它立即过期（Max-Age=0 或 Expires 在过去）：这正是删除 cookie 的方式。",
    });
  }
  return notes;
}

/**
 * A cookie's name or value as the page shows it. Browsers send cookies as UTF-8 bytes, which
 * node:http reads one byte per character (latin1); read back as UTF-8 when they are, so "ü"
 * shows as "ü" and matches what document.cookie sees.
 */
export function shown(text: string): string {
  // Only characters up to U+00FF can be bytes read as latin1; anything above already is text.
  if (!/[\u0080-\u00ff]/.test(text) || /[^\x20-\xff\t]/.test(text)) return text;
  const decoded = Buffer.from(text, "latin1").toString("utf8");
  return decoded.includes("\ufffd") ? text : decoded;
}
