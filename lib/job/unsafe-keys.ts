/** Keys that could reach an object's prototype if class-transformer assigned them: dropped from input before it sees it. */
export const UNSAFE_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);
