import type { RateLimit } from '../../../backend/flow-control';
import type { StatementCache } from './statement-cache';

/**
 * A queue's flow control on the file, shared by every process: the pause flag, the hold and how long
 * the rate-limit window keeps an entry in `queue_flow`, the window in `rate_handouts`. Called inside a move's transaction, so a
 * claim reads and records them under the same write lock as the jobs it takes.
 */
export class FileFlowControl {
  constructor(private readonly statements: StatementCache) {}

  setPaused(queue: string, paused: boolean): void {
    this.sql(`INSERT INTO queue_flow (queue, paused) VALUES (?, ?) ON CONFLICT (queue) DO UPDATE SET paused = excluded.paused`).run(
      queue,
      paused ? 1 : 0,
    );
  }

  /** An earlier `until` than the hold already set leaves it as it is. */
  hold(queue: string, until: number): void {
    this.sql(
      `INSERT INTO queue_flow (queue, held_until) VALUES (?, ?)
       ON CONFLICT (queue) DO UPDATE SET held_until = max(coalesce(held_until, 0), excluded.held_until)`,
    ).run(queue, until);
  }

  /**
   * How many of `max` jobs a claim may take now: none while paused or held; under a rate limit, what
   * this limit's window has left (entries older than the longest interval any fetch used leave first).
   */
  allowance(queue: string, max: number, now: number, rateLimit: RateLimit | undefined): number {
    const flow = this.sql('SELECT paused, held_until, rate_span_ms FROM queue_flow WHERE queue = ?').get(queue) as
      { paused: number; held_until: number | null; rate_span_ms: number | null } | undefined;
    if (flow && (flow.paused === 1 || (flow.held_until ?? 0) > now)) return 0;
    if (!rateLimit) return max;
    this.sql('DELETE FROM rate_handouts WHERE queue = ? AND at <= ?').run(
      queue,
      now - this.windowSpan(queue, flow?.rate_span_ms, rateLimit),
    );
    return Math.max(0, Math.min(max, rateLimit.max - this.inWindow(queue, now, rateLimit)));
  }

  /** Counts `n` jobs handed out now under a rate limit. */
  handedOut(queue: string, n: number, now: number): void {
    const insert = this.sql('INSERT INTO rate_handouts (queue, at) VALUES (?, ?)');
    for (let i = 0; i < n; i++) insert.run(queue, now);
  }

  /**
   * When a fetch of the queue that is held or whose window is full can take something again (Infinity:
   * it can now, or only a resume or new work can help). Read-only: a blocked fetch sets its timer with it.
   */
  reopensAt(queue: string, now: number, rateLimit: RateLimit | undefined): number {
    const flow = this.sql('SELECT paused, held_until FROM queue_flow WHERE queue = ?').get(queue) as
      { paused: number; held_until: number | null } | undefined;
    const heldUntil = flow?.held_until ?? 0;
    let at = heldUntil > now ? heldUntil : Infinity;
    if (rateLimit) {
      const over = this.inWindow(queue, now, rateLimit) - rateLimit.max;
      if (over >= 0) {
        // The window frees a slot when the entry that makes it full leaves it.
        const entry = this.sql(`SELECT at FROM rate_handouts WHERE queue = ? AND at > ? ORDER BY at LIMIT 1 OFFSET ${over}`).get(
          queue,
          now - rateLimit.intervalMs,
        );
        if (entry) at = Math.max(heldUntil, (entry.at as number) + rateLimit.intervalMs);
      }
    }
    return at;
  }

  /** Forgets the queue's flow control (deleteQueue). */
  forget(queue: string): void {
    this.sql('DELETE FROM queue_flow WHERE queue = ?').run(queue);
    this.sql('DELETE FROM rate_handouts WHERE queue = ?').run(queue);
  }

  /**
   * How long the queue's window keeps an entry: the longest interval a limited fetch of it has used
   * (`rate_span_ms`). Consumers of one queue may give different limits, each counting every job handed
   * out under any, so a fetch with a shorter interval must not trim what a longer one still counts.
   */
  private windowSpan(queue: string, stored: number | null | undefined, rateLimit: RateLimit): number {
    if (stored != null && stored >= rateLimit.intervalMs) return stored;
    this.sql(
      `INSERT INTO queue_flow (queue, rate_span_ms) VALUES (?, ?)
       ON CONFLICT (queue) DO UPDATE SET rate_span_ms = max(coalesce(rate_span_ms, 0), excluded.rate_span_ms)`,
    ).run(queue, rateLimit.intervalMs);
    return rateLimit.intervalMs;
  }

  private inWindow(queue: string, now: number, rateLimit: RateLimit): number {
    return this.sql('SELECT count(*) AS n FROM rate_handouts WHERE queue = ? AND at > ?').get(queue, now - rateLimit.intervalMs)
      ?.n as number;
  }

  private sql(text: string) {
    return this.statements.sql(text);
  }
}
