import type { JobBackend } from '../backend/job-backend.interface';
import type { JobStatus } from '../backend/job-state';
import { scheduleOccurrenceId, type ScheduleRecord, type ScheduleSpec, type ScheduleTemplate } from '../backend/schedule-record';
import { TransientBackendError } from '../errors';
import { isoNow } from '../job/iso-now';
import { occurrenceOf } from './schedule-occurrence';
import { sameSpec, tickAfter } from './schedule-spec';

/** Compare-and-set rounds lost to other processes before schedule() gives up. */
const MAX_TRIES = 5;

/** An occurrence in one of these will still run: the chain of ticks is whole. */
const UNFINISHED: ReadonlySet<JobStatus> = new Set(['waiting', 'delayed', 'active', 'failed']);

type ScheduleStore = Required<Pick<JobBackend, 'getSchedule' | 'putSchedule'>> & Pick<JobBackend, 'getJob'>;

/**
 * Creates or updates the schedule (queue, key) so that it ticks by `spec` with `template`, idempotently:
 * every process may call it at start-up. Unchanged and armed (its occurrence is enqueued, or running)
 * leaves it as it is, so ticks are not moved by a restart; changed, it restarts from the first tick
 * after now, withdrawing the old occurrence if not started; unchanged but broken (its occurrence is
 * gone: cleaned, or its advance failed) it is re-armed. Each write is a compare-and-set on the stored
 * `nextRunAt`; one another process won is read again and redone. Resolves with the record stored.
 */
export async function upsertSchedule(
  backend: ScheduleStore,
  queue: string,
  key: string,
  spec: ScheduleSpec,
  template: ScheduleTemplate,
): Promise<ScheduleRecord> {
  for (let round = 0; round < MAX_TRIES; round++) {
    const old = await backend.getSchedule(queue, key);
    const now = Date.now();
    if (old && sameSpec(old.spec, spec) && sameTemplate(old.template, template)) {
      const occurrence = await backend.getJob(scheduleOccurrenceId(queue, key, old.nextRunAt));
      if (occurrence && UNFINISHED.has(occurrence.status)) return old;
      // Its occurrence is gone (cleaned: enqueue it again if its tick is still ahead) or finished without
      // moving the schedule on (its id is taken: go on from the tick after it, or after now).
      const nextRunAt = !occurrence && old.nextRunAt > now ? old.nextRunAt : tickAfter(spec, Math.max(now, old.nextRunAt));
      const record: ScheduleRecord = { ...old, nextRunAt };
      if (await backend.putSchedule(record, occurrenceOf(record), old.nextRunAt, false)) return record;
      continue;
    }
    const record: ScheduleRecord = { queue, key, spec, template, nextRunAt: tickAfter(spec, now), updatedAt: isoNow() };
    if (await backend.putSchedule(record, occurrenceOf(record), old?.nextRunAt ?? null, true)) return record;
  }
  throw new TransientBackendError(
    `schedule("${queue}", "${key}"): another process changed this schedule ${MAX_TRIES} times while this call tried to store it — call again`,
  );
}

/** Whether two templates publish the same job (payloads compared as JSON with sorted keys). */
export function sameTemplate(a: ScheduleTemplate, b: ScheduleTemplate): boolean {
  return (
    a.name === b.name && a.schemaName === b.schemaName && a.priority === b.priority && canonicalJson(a.payload) === canonicalJson(b.payload)
  );
}

function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner !== null && typeof inner === 'object' && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner as Record<string, unknown>).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)))
      : inner,
  );
}
