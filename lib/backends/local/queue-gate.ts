import type { RateLimit } from '../../backend/flow-control';
import { RateWindow } from './rate-window';

/**
 * What lets one queue's jobs out in memory: a pause, a hold until a moment, and the sliding window of
 * those handed out under a rate limit. It only answers how many a fetch may take now and when that
 * changes; the client moves the jobs.
 */
export class QueueGate {
  paused = false;
  /** Epoch ms before which nothing is handed out (holdQueue); 0 when not held. */
  holdUntil = 0;
  private readonly window = new RateWindow();

  /** How many of `max` a fetch with this limit (or none) may take at `now`. */
  allowance(max: number, limit: RateLimit | undefined, now: number): number {
    if (this.paused || now < this.holdUntil) return 0;
    return limit ? Math.min(max, this.window.allowance(limit, now)) : max;
  }

  /** Counts jobs a fetch with this limit took; a fetch without one is not counted, as the contract says. */
  took(count: number, limit: RateLimit | undefined, now: number): void {
    if (limit && count > 0) this.window.record(limit, count, now);
  }

  /**
   * The moment a fetch with this limit that may take nothing now may take something, without anyone
   * acting: Infinity while paused (only resume opens it), else the end of the hold or of the full window.
   */
  opensAt(limit: RateLimit | undefined, now: number): number {
    if (this.paused) return Infinity;
    const held = Math.max(now, this.holdUntil);
    return limit ? Math.max(held, this.window.freesAt(limit, now)) : held;
  }
}
