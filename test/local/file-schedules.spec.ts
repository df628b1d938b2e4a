import { scheduleOccurrenceId, type ScheduleRecord } from '../../lib/backend/schedule-record';
import type { PublishItem } from '../../lib/backend/job-backend.interface';
import { QueueNotDeclaredError } from '../../lib/errors';
import { fileEngineKit, jobItem } from './file-engine-kit';

/** Schedules on the file engine: the stored record, its compare-and-set and its one occurrence. */
const kit = fileEngineKit('schedules');
const LEASE = 30_000;

function record(queue: string, key: string, nextRunAt: number, every = 1000): ScheduleRecord {
  return {
    queue,
    key,
    spec: { every },
    template: { name: 'task', schemaName: 'task', payload: { key }, priority: 0 },
    nextRunAt,
    updatedAt: new Date().toISOString(),
  };
}

function occurrence(r: ScheduleRecord): PublishItem {
  const id = scheduleOccurrenceId(r.queue, r.key, r.nextRunAt);
  return { ...jobItem({ id, payload: r.template.payload, schedule: { key: r.key, at: r.nextRunAt } }), runAt: r.nextRunAt };
}

it('putSchedule stores the record and its delayed occurrence, only when nextRunAt matches expect', async () => {
  const engine = kit.open(kit.newPath());
  await engine.declareQueue('q', 'fifo');
  const at = Date.now() + 60_000;
  const first = record('q', 'k', at);
  expect(await engine.putSchedule(first, occurrence(first), null, true)).toBe(true);
  expect(await engine.getSchedule('q', 'k')).toEqual(first);
  const job = await engine.getJob(scheduleOccurrenceId('q', 'k', at));
  expect(job).toMatchObject({ status: 'delayed', runAt: new Date(at).toISOString() });

  // A second create (expect null) and a stale expect both change nothing.
  const other = record('q', 'k', at + 1000);
  expect(await engine.putSchedule(other, occurrence(other), null, true)).toBe(false);
  expect(await engine.putSchedule(other, occurrence(other), at - 1, true)).toBe(false);
  expect(await engine.getSchedule('q', 'k')).toEqual(first);
  expect(await engine.getJob(scheduleOccurrenceId('q', 'k', at + 1000))).toBeNull();

  // Replaced with withdrawPrevious: the old occurrence (not started) is gone, the new one enqueued.
  expect(await engine.putSchedule(other, occurrence(other), at, true)).toBe(true);
  expect(await engine.getJob(scheduleOccurrenceId('q', 'k', at))).toBeNull();
  expect((await engine.getJob(scheduleOccurrenceId('q', 'k', at + 1000)))?.status).toBe('delayed');
  expect((await engine.queueStats('q')).delayed).toBe(1);
});

it('advancing after a tick ran keeps the taken occurrence; an occurrence id still held is not published again', async () => {
  const engine = kit.open(kit.newPath());
  await engine.declareQueue('q', 'fifo');
  const now = Date.now();
  const tick = record('q', 'k', now - 1);
  await engine.putSchedule(tick, occurrence(tick), null, true);
  const [taken] = await engine.fetch('q', 1, { wait: false, leaseMs: LEASE });
  expect(taken.job.id).toBe(scheduleOccurrenceId('q', 'k', now - 1));
  expect(taken.job.schedule).toEqual({ key: 'k', at: now - 1 });

  // withdrawPrevious on a started occurrence leaves it running.
  const next = record('q', 'k', now + 60_000);
  expect(await engine.putSchedule(next, occurrence(next), now - 1, true)).toBe(true);
  expect((await engine.getJob(taken.job.id))?.status).toBe('active');

  // Putting a record whose occurrence id is still held (here: the active one) stores it and publishes nothing.
  const back = record('q', 'k', now - 1, 2000);
  expect(await engine.putSchedule(back, occurrence(back), now + 60_000, false)).toBe(true);
  expect(await engine.getSchedule('q', 'k')).toEqual(back);
  expect(await engine.queueStats('q')).toMatchObject({ waiting: 0, delayed: 1, active: 1 });
});

it('listSchedules sorts by queue then key, of one queue or all; deleteSchedule withdraws the occurrence; deleteQueue removes the schedules', async () => {
  const path = kit.newPath();
  const engine = kit.open(path);
  await engine.declareQueue('b', 'fifo');
  await engine.declareQueue('a', 'fifo');
  const at = Date.now() + 60_000;
  for (const [queue, key] of [
    ['b', 'y'],
    ['a', 'z'],
    ['b', 'x'],
    ['a', 'm'],
  ]) {
    const r = record(queue, key, at);
    await engine.putSchedule(r, occurrence(r), null, true);
  }
  // Another client of the file sees them.
  const other = kit.open(path);
  expect((await other.listSchedules()).map((s) => `${s.queue}/${s.key}`)).toEqual(['a/m', 'a/z', 'b/x', 'b/y']);
  expect((await other.listSchedules('b')).map((s) => s.key)).toEqual(['x', 'y']);

  expect(await other.deleteSchedule('b', 'x')).toBe(true);
  expect(await other.deleteSchedule('b', 'x')).toBe(false);
  expect(await engine.getJob(scheduleOccurrenceId('b', 'x', at))).toBeNull();
  expect(await engine.getSchedule('b', 'x')).toBeNull();

  await engine.deleteQueue('a');
  await engine.declareQueue('a', 'fifo');
  expect(await engine.listSchedules('a')).toEqual([]);
  expect((await engine.listSchedules()).map((s) => `${s.queue}/${s.key}`)).toEqual(['b/y']);
});

it('schedules of an undeclared queue are QueueNotDeclaredError, and nothing is stored', async () => {
  const engine = kit.open(kit.newPath());
  const r = record('nope', 'k', Date.now() + 1000);
  await expect(engine.putSchedule(r, occurrence(r), null, true)).rejects.toBeInstanceOf(QueueNotDeclaredError);
  await expect(engine.getSchedule('nope', 'k')).rejects.toBeInstanceOf(QueueNotDeclaredError);
  expect(await engine.listSchedules()).toEqual([]);
});
