/** How many finished jobs a backend keeps for getJob / waitForResult, and for how long. */
export interface RetentionRule {
  /** Keep at most this many (the newest); `Infinity` keeps all. */
  count?: number;
  /** Drop those finished longer ago than this many milliseconds. */
  ageMs?: number;
}

export interface RetentionOptions {
  /** Completed jobs and their results. Default: the last 1,000, for at most 24 hours. */
  completed?: RetentionRule;
  /**
   * Dead letters. Default: all of them — a dead letter is work someone must look at, so it is only
   * ever dropped by an explicit rule here, by purgeDeadLetters or by deleting its queue.
   */
  dead?: RetentionRule;
}

export const DEFAULT_RETENTION: Required<{ [K in keyof RetentionOptions]: Required<RetentionRule> }> = {
  completed: { count: 1000, ageMs: 24 * 60 * 60 * 1000 },
  dead: { count: Infinity, ageMs: Infinity },
};
