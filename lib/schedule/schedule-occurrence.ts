import type { PublishItem } from '../backend/job-backend.interface';
import { scheduleOccurrenceId, type ScheduleRecord } from '../backend/schedule-record';
import { isoNow } from '../job/iso-now';

/** The job a schedule enqueues for its tick `record.nextRunAt`: delayed until then, with the id every process gives it. */
export function occurrenceOf(record: ScheduleRecord): PublishItem {
  const { queue, key, nextRunAt, template } = record;
  return {
    job: {
      id: scheduleOccurrenceId(queue, key, nextRunAt),
      name: template.name,
      schemaName: template.schemaName,
      payload: template.payload,
      createdAt: isoNow(),
      priority: template.priority,
      attempt: 0,
      schedule: { key, at: nextRunAt },
      dueAt: new Date(nextRunAt).toISOString(),
    },
    runAt: nextRunAt,
  };
}
