import type { RateLimit } from '../../backend/flow-control';

/**
 * The moments jobs of one queue were handed out under a rate limit, oldest first: a sliding window
 * each fetch measures against its own limit. Consumers of one queue may set different limits, so an
 * entry is kept as long as the longest interval any of them asked for.
 */
export class RateWindow {
  private times: number[] = [];
  private head = 0;
  private longestMs = 0;

  /** How many more jobs `limit` lets out at `now` (0 when the window is full). */
  allowance(limit: RateLimit, now: number): number {
    return Math.max(0, limit.max - this.countSince(now - limit.intervalMs));
  }

  /** Counts `count` jobs handed out at `now` under `limit`. */
  record(limit: RateLimit, count: number, now: number): void {
    this.longestMs = Math.max(this.longestMs, limit.intervalMs);
    this.trim(now);
    // A clock stepped back must not break the time order the binary search relies on.
    const at = Math.max(now, this.times[this.times.length - 1] ?? now);
    for (let i = 0; i < count; i++) this.times.push(at);
  }

  /** When `limit` next lets a job out: now if it does already, else when enough entries have left the window. */
  freesAt(limit: RateLimit, now: number): number {
    const from = this.firstAfter(now - limit.intervalMs);
    const inWindow = this.times.length - from;
    if (inWindow < limit.max) return now;
    // One slot is free once all but max - 1 of the entries now in the window have left it.
    return this.times[from + inWindow - limit.max] + limit.intervalMs;
  }

  /** Entries handed out after `since` (exclusive): those still inside a window that starts there. */
  private countSince(since: number): number {
    return this.times.length - this.firstAfter(since);
  }

  /** Index of the first entry later than `since`; entries are in time order, so a binary search. */
  private firstAfter(since: number): number {
    let lo = this.head;
    let hi = this.times.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.times[mid] > since) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /** Forgets entries no limit seen so far can count any more, compacting once the dead head is large. */
  private trim(now: number): void {
    this.head = this.firstAfter(now - this.longestMs);
    if (this.head > 1024 && this.head * 2 > this.times.length) {
      this.times = this.times.slice(this.head);
      this.head = 0;
    }
  }
}
