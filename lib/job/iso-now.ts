let lastMs = NaN;
let lastIso = '';

/**
 * The current time as an ISO-8601 UTC string. Jobs made in the same millisecond (a batch) share one
 * string, instead of a Date and a string each.
 */
export function isoNow(): string {
  const now = Date.now();
  if (now !== lastMs) {
    lastMs = now;
    lastIso = new Date(now).toISOString();
  }
  return lastIso;
}
