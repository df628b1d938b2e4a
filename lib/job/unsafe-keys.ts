/** Keys that could reach an object's prototype if a transformer assigned them: dropped from every payload. */
export const UNSAFE_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);
