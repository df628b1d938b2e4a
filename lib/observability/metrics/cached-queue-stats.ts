import type { QueueStats } from '../../backend/job-state';

/**
 * Queue counts read from the backend at most once per `maxAgeMs`, shared by every gauge of a scrape and
 * by concurrent scrapes: a scrape storm costs the broker one read per queue per period.
 */
export class CachedQueueStats {
  private read: { at: number; stats: Promise<Map<string, QueueStats>> } | null = null;
  /** How many times the backend was asked (for tests and for the curious). */
  reads = 0;

  constructor(
    private readonly load: () => Promise<Map<string, QueueStats>>,
    private readonly maxAgeMs: number,
  ) {}

  get(): Promise<Map<string, QueueStats>> {
    const now = Date.now();
    if (this.read && now - this.read.at < this.maxAgeMs) return this.read.stats;
    this.reads++;
    const stats = this.load();
    const read = { at: now, stats };
    this.read = read;
    // A failed read is not kept: the next scrape asks again.
    stats.catch(() => {
      if (this.read === read) this.read = null;
    });
    return stats;
  }
}
