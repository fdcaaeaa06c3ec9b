/**
 * V8's JSON.parse in Node 24 and 26 can read a one-character escaped object key (`"\n"`, `"\""`)
 * back as `"\\"` once a `"\\"` key has been parsed in the same process (nodejs/node#63785;
 * README, "Known platform issue"). Values that a round trip compares are kept clear of such keys,
 * so that a failure means a tessera bug; inputs that must only be refused cleanly keep them.
 */
export function clearOfV8KeyBug(value: unknown): boolean {
  if (value === null || typeof value !== "object") return true;
  if (Array.isArray(value)) return value.every(clearOfV8KeyBug);
  const items = (value as { items?: unknown }).items;
  if (Array.isArray(items)) return items.every(clearOfV8KeyBug);
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return true;
  return Object.entries(value).every(([key, item]) => isSafeKey(key) && clearOfV8KeyBug(item));
}

/** A key V8 reads back right: anything but one character that JSON writes escaped. */
export function isSafeKey(key: string): boolean {
  return key.length !== 1 || JSON.stringify(key).length === 3;
}
