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
    const seconds = Number(choice.maxAge);
    if (!Number.isInteger(seconds) || seconds < 0) {
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
