import { randomUUID } from 'node:crypto';
import type { PublishItem } from '../../backend/job-backend.interface';
import type { ScheduleRecord } from '../../backend/schedule-record';
import type { OneJobScripts } from './one-job-scripts';
import type { QueueRegistry } from './queue-registry';
import type { RedisConnection } from './redis-connection';
import type { RedisKeys } from './redis-keys';

/**
 * A queue's schedules, in `P:{Q}:schedules` (key → ScheduleRecord JSON), under the queue's hash tag so
 * put-schedule can compare-and-set the record and enqueue its occurrence in one script, in one slot.
 */
export class RedisSchedules {
  constructor(
    private readonly connection: RedisConnection,
    private readonly keys: RedisKeys,
    private readonly scripts: OneJobScripts,
    private readonly registry: QueueRegistry,
  ) {}

  async get(queue: string, key: string): Promise<ScheduleRecord | null> {
    const json = await this.connection.call('getSchedule', queue, this.connection.redis.hget(this.keys.schedules(queue), key));
    return json === null ? null : (JSON.parse(json) as ScheduleRecord);
  }

  /** One queue's schedules, or (no queue) those of every queue the registry lists; sorted by queue, then key. */
  async list(queue?: string): Promise<ScheduleRecord[]> {
    const queues = queue === undefined ? (await this.registry.list()).map((q) => q.name) : [queue];
    const { redis } = this.connection;
    // One HVALS per queue, each to its own slot.
    const all = await this.connection.call(
      'listSchedules',
      queue ?? null,
      Promise.all(queues.map((name) => redis.hvals(this.keys.schedules(name)))),
    );
    const records = all.flat().map((json) => JSON.parse(json) as ScheduleRecord);
    return records.sort((a, b) => compare(a.queue, b.queue) || compare(a.key, b.key));
  }

  async put(record: ScheduleRecord, occurrence: PublishItem, expect: number | null, withdrawPrevious: boolean): Promise<boolean> {
    const { queue, key, nextRunAt } = record;
    const { job } = occurrence;
    const [stored, withdrawn, enqueued] = await this.scripts.run<[number, string[], number]>('putSchedule', 'put-schedule', queue, [
      queue,
      key,
      JSON.stringify(record),
      expect === null ? '' : expect,
      withdrawPrevious ? 1 : 0,
      job.id,
      JSON.stringify(job),
      job.priority,
      occurrence.runAt ?? nextRunAt,
      randomUUID(),
    ]);
    await this.scripts.reconcile('putSchedule', queue, { enqueued: enqueued === 1 ? job.id : null, withdrawn });
    return stored === 1;
  }

  async delete(queue: string, key: string): Promise<boolean> {
    const [existed, withdrawn] = await this.scripts.run<[number, string[]]>('deleteSchedule', 'delete-schedule', queue, [queue, key]);
    await this.scripts.reconcile('deleteSchedule', queue, { withdrawn });
    return existed === 1;
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
