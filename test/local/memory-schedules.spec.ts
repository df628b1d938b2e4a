import { LocalClient, QueueNotDeclaredError, type PublishItem, type ScheduleRecord } from '../../lib';
import { scheduleOccurrenceId } from '../../lib/backend/schedule-record';
import { LEASE, record } from './fixtures/memory-kit';

const FAR = Date.now() + 3_600_000;

function scheduleAt(at: number, queue = 'q', key = 'k'): { record: ScheduleRecord; occurrence: PublishItem } {
  return {
    record: {
      queue,
      key,
      spec: { every: 60_000 },
      template: { name: 'n', schemaName: 'n', payload: { at }, priority: 0 },
      nextRunAt: at,
      updatedAt: new Date().toISOString(),
    },
    occurrence: { job: record(scheduleOccurrenceId(queue, key, at), { schedule: { key, at } }), runAt: at },
  };
}

/** putSchedule's compare-and-set and what it does to occurrences, in memory. */
describe('LocalClient in memory: schedules', () => {
  let client: LocalClient;
  beforeEach(async () => {
    client = new LocalClient();
    await client.declareQueue('q', 'fifo');
  });
  afterEach(() => client.close());

  it('putSchedule stores only when nextRunAt is what the caller expects, changing nothing otherwise', async () => {
    const first = scheduleAt(FAR);
    expect(await client.putSchedule(first.record, first.occurrence, null, true)).toBe(true);
    const rival = scheduleAt(FAR + 1000);
    // A second "create" and a stale compare both lose: neither the record nor the occurrences move.
    expect(await client.putSchedule(rival.record, rival.occurrence, null, true)).toBe(false);
    expect(await client.putSchedule(rival.record, rival.occurrence, FAR - 1, true)).toBe(false);
    expect(await client.getSchedule('q', 'k')).toEqual(first.record);
    expect(await client.getJob(rival.occurrence.job.id)).toBeNull();
    expect(await client.getJob(first.occurrence.job.id)).toMatchObject({ status: 'delayed', runAt: new Date(FAR).toISOString() });
  });

  it('a change that withdraws the previous occurrence leaves exactly one enqueued', async () => {
    const first = scheduleAt(FAR);
    await client.putSchedule(first.record, first.occurrence, null, true);
    const next = scheduleAt(FAR + 60_000);
    expect(await client.putSchedule(next.record, next.occurrence, FAR, true)).toBe(true);
    expect(await client.getJob(first.occurrence.job.id)).toBeNull();
    expect(await client.queueStats('q')).toMatchObject({ waiting: 0, delayed: 1 });
    expect((await client.getSchedule('q', 'k'))?.nextRunAt).toBe(FAR + 60_000);
  });

  it('a changed template for the same tick replaces that tick’s job instead of losing it', async () => {
    const first = scheduleAt(FAR);
    await client.putSchedule(first.record, first.occurrence, null, true);
    const changed = scheduleAt(FAR);
    changed.record.template.payload = { changed: true };
    changed.occurrence.job.payload = { changed: true };
    expect(await client.putSchedule(changed.record, changed.occurrence, FAR, true)).toBe(true);
    expect(await client.getJob(first.occurrence.job.id)).toMatchObject({ status: 'delayed', payload: { changed: true } });
    expect(await client.queueStats('q')).toMatchObject({ delayed: 1 });
  });

  it('advancing from a tick that is running keeps that run, and a tick whose job is still held is not published twice', async () => {
    const due = scheduleAt(Date.now() - 1);
    await client.putSchedule(due.record, due.occurrence, null, true);
    const [running] = await client.fetch('q', 1, { wait: false, ...LEASE });
    expect(running.job.schedule).toEqual({ key: 'k', at: due.record.nextRunAt });
    const next = scheduleAt(FAR);
    // withdrawPrevious on a started occurrence must not take it from its consumer.
    expect(await client.putSchedule(next.record, next.occurrence, due.record.nextRunAt, true)).toBe(true);
    expect(await client.getJob(running.job.id)).toMatchObject({ status: 'active' });
    await client.complete(running, null);

    // Re-storing a record whose occurrence id the client still holds (here: completed, retained) does not throw or enqueue it again.
    expect(await client.putSchedule(due.record, due.occurrence, FAR, false)).toBe(true);
    expect(await client.getJob(due.occurrence.job.id)).toMatchObject({ status: 'completed' });
    expect(await client.queueStats('q')).toMatchObject({ waiting: 0, delayed: 1, completed: 1 });
  });

  it('deleteSchedule withdraws an occurrence not started and says whether the schedule existed', async () => {
    const first = scheduleAt(FAR);
    await client.putSchedule(first.record, first.occurrence, null, true);
    expect(await client.deleteSchedule('q', 'k')).toBe(true);
    expect(await client.deleteSchedule('q', 'k')).toBe(false);
    expect(await client.getSchedule('q', 'k')).toBeNull();
    expect(await client.getJob(first.occurrence.job.id)).toBeNull();
    expect(await client.queueStats('q')).toMatchObject({ waiting: 0, delayed: 0 });
  });

  it('listSchedules sorts by queue then key, hands out copies, and deleteQueue removes the queue’s schedules', async () => {
    await client.declareQueue('a', 'fifo');
    for (const [queue, key] of [
      ['q', 'z'],
      ['a', 'm'],
      ['q', 'b'],
    ]) {
      const s = scheduleAt(FAR, queue, key);
      await client.putSchedule(s.record, s.occurrence, null, true);
    }
    const listed = await client.listSchedules();
    expect(listed.map((s) => `${s.queue}/${s.key}`)).toEqual(['a/m', 'q/b', 'q/z']);
    expect((await client.listSchedules('q')).map((s) => s.key)).toEqual(['b', 'z']);
    listed[0].nextRunAt = 0;
    expect((await client.getSchedule('a', 'm'))?.nextRunAt).toBe(FAR);

    await client.deleteQueue('q');
    await client.declareQueue('q', 'fifo');
    expect((await client.listSchedules()).map((s) => `${s.queue}/${s.key}`)).toEqual(['a/m']);
    await expect(client.getSchedule('nope', 'k')).rejects.toThrow(QueueNotDeclaredError);
  });
});
