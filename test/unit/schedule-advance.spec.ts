import { LocalClient } from '../../lib';
import { MAX_TAKEN_TICKS, scheduleOccurrenceId, type ScheduleRecord } from '../../lib/backend/schedule-record';
import { advanceSchedule } from '../../lib/schedule/schedule-advance';
import { occurrenceOf } from '../../lib/schedule/schedule-occurrence';

const EVERY = 1000;

describe('advanceSchedule', () => {
  let backend: LocalClient;
  beforeEach(async () => {
    backend = new LocalClient();
    await backend.declareQueue('q', 'fifo');
  });
  afterEach(() => backend.close());

  it('remembers the ticks it moved past, the latest MAX_TAKEN_TICKS of them, oldest first', async () => {
    // Ticks in the future, so each advance goes to the very next one.
    const first = (Math.floor(Date.now() / EVERY) + 1000) * EVERY;
    const record: ScheduleRecord = {
      queue: 'q',
      key: 'k',
      spec: { every: EVERY },
      template: { name: 'task', schemaName: 'task', payload: {}, priority: 0 },
      nextRunAt: first,
      updatedAt: new Date().toISOString(),
    };
    expect(await backend.putSchedule(record, occurrenceOf(record), null, true)).toBe(true);
    const taken = Array.from({ length: MAX_TAKEN_TICKS + 3 }, (_, i) => first + i * EVERY);
    for (const at of taken) expect(await advanceSchedule(backend, 'q', { key: 'k', at })).toBe(true);

    const stored = await backend.getSchedule('q', 'k');
    expect(stored?.nextRunAt).toBe(first + taken.length * EVERY);
    expect(stored?.takenTicks).toEqual(taken.slice(-MAX_TAKEN_TICKS));
    // A tick not at the stored nextRunAt moves nothing and records nothing.
    expect(await advanceSchedule(backend, 'q', { key: 'k', at: first })).toBe(false);
    expect((await backend.getSchedule('q', 'k'))?.takenTicks).toEqual(taken.slice(-MAX_TAKEN_TICKS));
    expect((await backend.getJob(scheduleOccurrenceId('q', 'k', first + taken.length * EVERY)))?.status).toBe('delayed');
  });
});
