import 'reflect-metadata';
import { LocalClient, Orchestrator, scheduleOccurrenceId } from '../../lib';
import { advanceSchedule } from '../../lib/schedule/schedule-advance';
import { taskSchema } from '../conformance/conformance.fixtures';

/**
 * How the common layer keeps a schedule's chain of occurrences whole, on the embedded backend: who
 * moves it on (receiveMessage too), when a move is not its to make, and how schedule() re-arms a
 * schedule whose occurrence is gone.
 */
describe('a schedule’s chain of occurrences', () => {
  const EVERY = 60_000;
  let orchestrator: Orchestrator;
  let backend: LocalClient;
  beforeEach(async () => {
    backend = new LocalClient();
    orchestrator = new Orchestrator(backend);
    await orchestrator.register(taskSchema('reports'));
  });
  afterEach(() => orchestrator.close());

  /** Makes the pending occurrence due now, as if its tick had come: the schedule's tick stays as stored. */
  async function occurrenceDue(): Promise<number> {
    const [stored] = await orchestrator.schedules('reports');
    const at = stored.nextRunAt.getTime();
    const record = (await backend.getSchedule('reports', 'hourly'))!;
    // Withdraw the delayed occurrence and enqueue it due now, under the same id and tick.
    expect(await backend.deleteSchedule('reports', 'hourly')).toBe(true);
    const occurrence = {
      job: {
        ...record.template,
        id: scheduleOccurrenceId('reports', 'hourly', at),
        createdAt: new Date().toISOString(),
        attempt: 0,
        schedule: { key: 'hourly', at },
      },
    };
    expect(await backend.putSchedule(record, occurrence, null, false)).toBe(true);
    return at;
  }

  it('receiveMessage taking an occurrence moves the schedule to the next tick and enqueues it', async () => {
    await orchestrator.schedule('reports', 'hourly', { every: EVERY }, { label: 'r' });
    const at = await occurrenceDue();
    const job = await orchestrator.receiveMessage<{ label: string }>('reports');
    expect(job?.id).toBe(scheduleOccurrenceId('reports', 'hourly', at));
    const [moved] = await orchestrator.schedules('reports');
    expect(moved.nextRunAt.getTime()).toBe(at + EVERY);
    expect(await orchestrator.getJob(scheduleOccurrenceId('reports', 'hourly', at + EVERY))).toMatchObject({ status: 'delayed' });
    expect(await orchestrator.queueStats('reports')).toMatchObject({ waiting: 0, delayed: 1 });
  });

  it('a move for a tick the schedule no longer stands at changes nothing (it was changed meanwhile)', async () => {
    const first = await orchestrator.schedule('reports', 'hourly', { every: EVERY }, { label: 'r' });
    const changed = await orchestrator.schedule('reports', 'hourly', { every: EVERY }, { label: 'changed' });
    expect(changed.payload).toEqual({ label: 'changed' });
    const stale = { key: 'hourly', at: first.nextRunAt.getTime() - EVERY };
    expect(await advanceSchedule(backend, 'reports', stale)).toBe(false);
    expect(await advanceSchedule(backend, 'reports', { key: 'gone', at: 0 })).toBe(false);
    expect((await orchestrator.schedules('reports'))[0]).toEqual(changed);
  });

  it('schedule() again re-arms a schedule whose occurrence was cleaned, at the same tick', async () => {
    const info = await orchestrator.schedule('reports', 'hourly', { every: EVERY }, { label: 'r' });
    expect(await orchestrator.cleanQueue('reports')).toBe(1);
    expect(await orchestrator.queueStats('reports')).toMatchObject({ delayed: 0 });
    const again = await orchestrator.schedule('reports', 'hourly', { every: EVERY }, { label: 'r' });
    expect(again).toEqual(info);
    expect(await orchestrator.getJob(scheduleOccurrenceId('reports', 'hourly', info.nextRunAt.getTime()))).toMatchObject({
      status: 'delayed',
    });
  });

  it('schedule() again re-arms one whose occurrence finished without moving it on, from the next tick after now', async () => {
    await orchestrator.schedule('reports', 'hourly', { every: EVERY }, { label: 'r' });
    const at = await occurrenceDue();
    // Taken and finished by a bare fetch, which moves no schedule: the chain is broken.
    const [delivery] = await backend.fetch('reports', 1, { wait: false, leaseMs: 30_000 });
    await backend.complete(delivery, null);
    const again = await orchestrator.schedule('reports', 'hourly', { every: EVERY }, { label: 'r' });
    expect(again.nextRunAt.getTime()).toBeGreaterThan(Date.now());
    expect(again.nextRunAt.getTime() % EVERY).toBe(0);
    expect(again.nextRunAt.getTime()).toBeGreaterThanOrEqual(at + EVERY);
    expect(await orchestrator.queueStats('reports')).toMatchObject({ waiting: 0, delayed: 1 });
  });
});
