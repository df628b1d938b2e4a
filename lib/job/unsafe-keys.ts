/** Keys that could reach an object's prototype if class-transformer assigned them: dropped from input before it sees it. */
export const UNSAFE_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** UNSAFE_KEYS.has(key) as three comparisons: a property name is interned, so each is one pointer compare, cheaper than a hash. */
export function isUnsafeKey(key: string): boolean {
  return key === '__proto__' || key === 'constructor' || key === 'prototype';
}
