/**
 * At most `max` jobs of a queue handed out (to run) in any `intervalMs` window, counted across every
 * consumer of the queue in every process (a sliding window: never more than `max` in any stretch of
 * `intervalMs`).
 */
export interface RateLimit {
  max: number;
  intervalMs: number;
}

/**
 * Publish a job only if no other job of the queue holds `key` (see PublishItem.deduplication). A job
 * holds its key from its publish until it finishes (completed or dead) or, with `ttlMs`, until that
 * many milliseconds have passed, whichever comes first.
 */
export interface DeduplicationOptions {
  key: string;
  /** The window, in milliseconds from the publish that took the key. Default: until the job finishes. */
  ttlMs?: number;
  /**
   * Debounce: a publish inside the window replaces the job holding the key if that job has not started
   * yet (waiting or delayed, attempt 0): the old one is withdrawn, the new one enqueued and given the
   * key with a fresh window. If the holder has started, the new job is enqueued and takes the key (a
   * run under way has not seen its input). Default false: the second publish is dropped.
   */
  replace?: boolean;
}

/** What a deduplicated publish did. */
export interface DeduplicatedPublish {
  /** The job that holds the key now: the one published, or the one already holding it. */
  id: string;
  /** True when nothing was enqueued because another job holds the key. */
  duplicate: boolean;
  /** With `replace`: the job withdrawn in favour of this one, if any. */
  replaced?: string;
}
