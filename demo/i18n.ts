/**
 * The demo's two languages. Each page writes its English and Chinese side by side through
 * `translator(lang)`, so a sentence and its translation are read and changed together.
 */

export type Lang = "en" | "zh";

/** The cookie that remembers the language chosen with the switch; it outranks Accept-Language. */
export const LANGUAGE_COOKIE = "lang";

/** Picks English or Chinese: the remembered choice, else the browser's Accept-Language. */
export function chooseLanguage(
  remembered: string | undefined,
  acceptLanguage: string | undefined,
): Lang {
  if (remembered === "en" || remembered === "zh") return remembered;
  return preferredOf(acceptLanguage);
}

/**
 * The language Accept-Language ranks highest among the two the demo has (RFC 9110 §12.5.4):
 * `zh`, `zh-CN`, `zh-Hans`… count as Chinese, `en-*` as English; English when neither appears.
 * Ties keep header order, as the header lists preferences first.
 */
export function preferredOf(acceptLanguage: string | undefined): Lang {
  if (acceptLanguage === undefined) return "en";
  let best: Lang = "en";
  let bestQuality = 0;
  for (const item of acceptLanguage.split(",").slice(0, 32)) {
    const [range = "", ...parameters] = item.split(";");
    const tag = range.trim().toLowerCase();
    const lang: Lang | undefined =
      tag === "zh" || tag.startsWith("zh-")
        ? "zh"
        : tag === "en" || tag.startsWith("en-")
          ? "en"
          : undefined;
    if (lang === undefined) continue;
    const q = parameters.map((p) => p.trim()).find((p) => p.toLowerCase().startsWith("q="));
    const quality = q === undefined ? 1 : Number(q.slice(2));
    if (Number.isFinite(quality) && quality > bestQuality) {
      best = lang;
      bestQuality = quality;
    }
  }
  return best;
}

/** `(english, chinese) => the one for lang`: how every page writes its text. */
export type Translate = (english: string, chinese: string) => string;

export function translator(lang: Lang): Translate {
  return lang === "zh" ? (_english, chinese) => chinese : (english) => english;
}
