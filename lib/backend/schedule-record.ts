import type { JobRecord } from './job-record';

/**
 * When a schedule ticks: a cron expression (five or six fields, read by croner) in a time zone (IANA
 * name, default UTC), or every `every` milliseconds, at whole multiples of `every` since the Unix
 * epoch, so that every process computes the same ticks.
 */
export type ScheduleSpec = { cron: string; tz?: string } | { every: number };

/** The job each tick of a schedule publishes, less what each tick gives it (id, createdAt, attempt, schedule). */
export type ScheduleTemplate = Pick<JobRecord, 'name' | 'schemaName' | 'payload' | 'priority'>;

/**
 * A repeatable job as a backend stores it, one per (queue, key). The backend keeps exactly one
 * occurrence of it enqueued: the job for tick `nextRunAt`, delayed until then, whose id is
 * `scheduleOccurrenceId(queue, key, nextRunAt)`. The consumer that takes that job computes the tick
 * after it and moves the schedule on with `putSchedule` (a compare-and-set on `nextRunAt`), so however
 * many processes consume the queue, each tick is enqueued once. It moves it on when it takes the job,
 * not when the run starts or ends, so a long run never delays the next tick; the ticks it moved past
 * are kept in `takenTicks`, so that a job given back unrun is withdrawn with the schedule.
 */
export interface ScheduleRecord {
  queue: string;
  key: string;
  spec: ScheduleSpec;
  template: ScheduleTemplate;
  /** The tick whose occurrence is enqueued, epoch milliseconds. */
  nextRunAt: number;
  /**
   * The latest ticks (at most MAX_TAKEN_TICKS, oldest first) whose occurrences consumers took when they
   * moved the schedule on; absent until one did. Such an occurrence can still go back to the queue
   * unrun, its attempt uncounted (taken ahead and given back at a stop, a rate-limited run, a taken-ahead
   * lease that ran out), even after later ticks were taken; deleting or changing the schedule withdraws
   * those too, as it withdraws the occurrence of `nextRunAt`.
   */
  takenTicks?: number[];
  /** When `orchestrator.schedule` last created or changed it, ISO-8601 UTC. */
  updatedAt: string;
}

/**
 * The job id of a schedule's occurrence for one tick: readable, and the same in every process. A ':' or
 * '%' in the queue or key is escaped (%3A, %25), so queue 'a:b' key 'c' and queue 'a' key 'b:c' get
 * different ids, while names without them keep the ids earlier versions gave (occurrences enqueued
 * before an upgrade are still found). _one-job.lua builds the same id.
 */
export function scheduleOccurrenceId(queue: string, key: string, at: number): string {
  return `schedule:${escapeIdPart(queue)}:${escapeIdPart(key)}:${at}`;
}

/**
 * How many taken ticks a schedule remembers: an occurrence given back after this many later ticks were
 * taken (held taken ahead that long) is not withdrawn with the schedule, and runs once.
 */
export const MAX_TAKEN_TICKS = 8;

/**
 * The occurrences of a stored schedule that deleting or changing it withdraws if they wait unrun
 * (waiting or delayed at attempt 0): the one of `nextRunAt`, and those of `takenTicks`, which may have
 * been given back.
 */
export function withdrawableOccurrenceIds(record: ScheduleRecord): string[] {
  return [record.nextRunAt, ...(record.takenTicks ?? [])].map((at) => scheduleOccurrenceId(record.queue, record.key, at));
}

function escapeIdPart(part: string): string {
  return part.replace(/[%:]/g, (c) => (c === '%' ? '%25' : '%3A'));
}
