import { InvalidOptionError } from '../errors';

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

export type ResolvedRetention = Record<'completed' | 'dead', Required<RetentionRule>>;

export const DEFAULT_RETENTION: ResolvedRetention = {
  completed: { count: 1000, ageMs: 24 * 60 * 60 * 1000 },
  dead: { count: Infinity, ageMs: Infinity },
};

/** Fills in the defaults and checks every rule; `where` names the backend or store in the error. */
export function resolveRetention(where: string, retention: RetentionOptions = {}): ResolvedRetention {
  const resolved: ResolvedRetention = {
    completed: { ...DEFAULT_RETENTION.completed, ...retention.completed },
    dead: { ...DEFAULT_RETENTION.dead, ...retention.dead },
  };
  for (const [kind, rule] of Object.entries(resolved)) {
    for (const [key, value] of Object.entries(rule)) {
      if (!(typeof value === 'number' && value >= 0)) {
        throw new InvalidOptionError(where, `retention.${kind}.${key}`, `must be a number >= 0 (or Infinity), got ${String(value)}`);
      }
    }
  }
  return resolved;
}
