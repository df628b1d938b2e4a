import { InvalidOptionError } from '../errors';
import { checkOptionKeys, stripUndefined } from './option-keys';

/** How many finished jobs a backend keeps for getJob / waitForResult, and for how long. */
export interface RetentionRule {
  /** Keep at most this many (the newest); `Infinity` keeps all. */
  count?: number;
  /** Drop those finished longer ago than this many milliseconds, even on a queue where nothing else happens. */
  ageMs?: number;
}

export interface RetentionOptions {
  /** Completed jobs and their results. Default: the last 1,000, for at most 24 hours. */
  completed?: RetentionRule;
  /**
   * Dead letters. Default: the last 10,000, however old. A dead letter is work someone must look at, so
   * each one retention drops is logged as a warning naming its queue; `{ count: Infinity }` keeps all.
   */
  dead?: RetentionRule;
}

export type ResolvedRetention = Record<'completed' | 'dead', Required<RetentionRule>>;

export const DEFAULT_RETENTION: ResolvedRetention = {
  completed: { count: 1000, ageMs: 24 * 60 * 60 * 1000 },
  // Bounded so a poison producer cannot grow memory (Local) or the broker without limit, and far more
  // than anyone triages by hand; the warning on each eviction says it happened.
  dead: { count: 10_000, ageMs: Infinity },
};

const KINDS = ['completed', 'dead'] as const;
const RULE_KEYS = ['count', 'ageMs'] as const;

/** Fills in the defaults and checks every rule; `where` names the backend or store in the error. */
export function resolveRetention(where: string, retention: RetentionOptions = {}): ResolvedRetention {
  checkOptionKeys(where, 'retention', retention, KINDS);
  const resolved = {} as ResolvedRetention;
  for (const kind of KINDS) {
    const rule = retention[kind] ?? {};
    checkOptionKeys(where, `retention.${kind}`, rule, RULE_KEYS);
    resolved[kind] = { ...DEFAULT_RETENTION[kind], ...stripUndefined(rule) };
    const { count, ageMs } = resolved[kind];
    if (!(typeof count === 'number' && count >= 0 && (Number.isInteger(count) || count === Infinity))) {
      throw new InvalidOptionError(where, `retention.${kind}.count`, `must be a whole number >= 0 (or Infinity), got ${String(count)}`);
    }
    if (!(typeof ageMs === 'number' && ageMs >= 0)) {
      throw new InvalidOptionError(
        where,
        `retention.${kind}.ageMs`,
        `must be a number of milliseconds >= 0 (or Infinity), got ${String(ageMs)}`,
      );
    }
  }
  return resolved;
}
