// Tables keyed by user-written names are null-prototype objects (or Maps): a name such as
// `toString`, `constructor` or `__proto__` must look up nothing, not Object.prototype's members.

/** The same entries in a null-prototype object (`t["toString"]` is undefined). */
export function nameTable<T>(entries: Record<string, T>): Record<string, T> {
  const out = Object.create(null) as Record<string, T>;
  for (const [k, v] of Object.entries(entries)) out[k] = v;
  return out;
}

/** An empty null-prototype object, for records filled with user-written names as keys. */
export function emptyRecord<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}
