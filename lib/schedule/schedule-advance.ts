import type { JobBackend } from '../backend/job-backend.interface';
import type { ScheduleTick } from '../backend/job-record';
import { MAX_TAKEN_TICKS } from '../backend/schedule-record';
import { occurrenceOf } from './schedule-occurrence';
import { tickFollowing } from './schedule-spec';

/**
 * Moves the schedule on once its occurrence for `tick` was taken: stores the next tick and enqueues its
 * job, as a compare-and-set on `tick.at`, so of several consumers taking deliveries of the same tick
 * one moves it. Nothing happens when the stored schedule is at another tick (it was changed, or moved
 * on by another consumer) or is gone. Resolves whether this call moved it.
 */
export async function advanceSchedule(backend: JobBackend, queue: string, tick: ScheduleTick, now = Date.now()): Promise<boolean> {
  if (!backend.getSchedule || !backend.putSchedule) return false;
  const record = await backend.getSchedule(queue, tick.key);
  if (!record || record.nextRunAt !== tick.at) return false;
  // The occurrence just taken may still be given back unrun: unschedule then withdraws it (takenTicks).
  const takenTicks = [...(record.takenTicks ?? []), tick.at].slice(-MAX_TAKEN_TICKS);
  const next = { ...record, nextRunAt: tickFollowing(record.spec, tick.at, now), takenTicks };
  return backend.putSchedule(next, occurrenceOf(next), tick.at, false);
}
