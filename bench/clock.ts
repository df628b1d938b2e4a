/**
 * Milliseconds on the system's monotonic clock. `process.hrtime` reads CLOCK_MONOTONIC, which every
 * process on the machine shares, so a time taken in the producer can be subtracted from one taken in a
 * consumer process.
 */
export function nowMs(): number {
  const [seconds, nanoseconds] = process.hrtime();
  return seconds * 1e3 + nanoseconds / 1e6;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
