/**
 * Python values as the interop Flask apps spell them in JSON (`typed` in
 * test/interop/flask_session_base.py): each value with its Python type, so a test can tell
 * `1` from `1.0`, bytes from text and a tz-aware datetime from a naive one.
 */
export type Typed = { t: string; v?: unknown; us?: number; utc?: boolean; code?: number };

export const str = (v: string): Typed => ({ t: "str", v });
export const int = (v: number | bigint): Typed => ({ t: "int", v: String(v) });
/** A float, by its Python repr ("1.0", "0.25"). */
export const float = (repr: string): Typed => ({ t: "float", v: repr });
export const bool = (v: boolean): Typed => ({ t: "bool", v });
export const none: Typed = { t: "None" };
export const list = (...items: Typed[]): Typed => ({ t: "list", v: items });
export const dict = (entries: Record<string, Typed>): Typed => ({
  t: "dict",
  v: Object.entries(entries),
});
export const bytes = (v: Buffer): Typed => ({ t: "bytes", v: v.toString("base64") });
export const ext = (code: number, data: Buffer): Typed => ({
  t: "ExtType",
  code,
  v: data.toString("base64"),
});
/** A dict whose keys need not be text: [key, value] pairs, a text key as it is. */
export const pairs = (...entries: [string | Typed, Typed][]): Typed => ({ t: "dict", v: entries });
/** A tz-aware UTC datetime, to the microsecond. */
export const utc = (iso: string): Typed => ({
  t: "datetime",
  us: Date.parse(iso) * 1000,
  utc: true,
});
/** A dict of text values. */
export const strings = (entries: Record<string, string>): Typed =>
  dict(Object.fromEntries(Object.entries(entries).map(([key, value]) => [key, str(value)])));
