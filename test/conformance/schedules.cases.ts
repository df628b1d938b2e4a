import { InvalidOptionError, scheduleOccurrenceId, UnsupportedCapabilityError } from '../../lib';
import { itIf, type ConformanceContext } from './conformance-context';
import { taskSchema } from './conformance.fixtures';
import { advanceSchedule } from '../../lib/schedule/schedule-advance';
import { connected, eventually, pending, registeredQueue, sleep, takenJobs } from './flow-control.fixtures';

/** Repeatable jobs (capability `schedules`): ticks, upserts, replacing, withdrawing, listing, missed ticks, cron. */
export function scheduleCases(ctx: ConformanceContext): void {
  const has = ctx.capabilities.schedules === true;
  const withSchedules = itIf(has, 'the backend keeps no schedules (capability schedules)');
  const EVERY = 200;
  /** Long enough that no tick falls inside a test: the case looks at the stored schedule only. */
  const RARELY = 3_600_000;

  itIf(!has, 'the backend keeps schedules (capability schedules)')(
    'a backend without schedules refuses schedule, unschedule and schedules with UnsupportedCapabilityError',
    async () => {
      const { queue, orchestrator } = await registeredQueue(ctx, 'no-sched');
      await expect(orchestrator.schedule(queue, 'k', { every: RARELY }, { label: 'x' })).rejects.toBeInstanceOf(UnsupportedCapabilityError);
      await expect(orchestrator.unschedule(queue, 'k')).rejects.toBeInstanceOf(UnsupportedCapabilityError);
      await expect(orchestrator.schedules(queue)).rejects.toBeInstanceOf(UnsupportedCapabilityError);
      expect(await pending(orchestrator, queue)).toBe(0);
    },
  );

  withSchedules('an every-schedule publishes one job per tick, its id and job.schedule naming the tick', async () => {
    const { queue, orchestrator } = await registeredQueue(ctx, 'every');
    const before = Date.now();
    const info = await orchestrator.schedule(queue, 'tick', { every: EVERY }, { label: 'tick' });
    expect(info).toMatchObject({ queue, key: 'tick', every: EVERY, payload: { label: 'tick' }, priority: 0 });
    const first = info.nextRunAt.getTime();
    expect(first % EVERY).toBe(0);
    expect(first).toBeGreaterThan(before);
    expect(await pending(orchestrator, queue)).toBe(1);

    const runs: { label: string; id: string; startedAt: number }[] = [];
    const consumer = connected(
      orchestrator,
      queue,
      (job) => void runs.push({ label: job.payload.label, id: job.id, startedAt: Date.now() }),
    );
    const taken = takenJobs(consumer);
    expect(await consumer.consume(3)).toBe(3);

    const ticks = taken.map(({ job }) => job.schedule?.at ?? NaN);
    expect(taken.map(({ job }) => job.schedule?.key)).toEqual(['tick', 'tick', 'tick']);
    expect(ticks[0]).toBe(first);
    expect(runs.map((r) => r.id)).toEqual(ticks.map((at) => scheduleOccurrenceId(queue, 'tick', at)));
    expect(runs.map((r) => r.label)).toEqual(['tick', 'tick', 'tick']);
    for (const [i, at] of ticks.entries()) {
      expect(at % EVERY).toBe(0);
      if (i > 0) expect(at).toBeGreaterThan(ticks[i - 1]);
      // A tick never runs early; how late it runs depends on the machine.
      expect(runs[i].startedAt).toBeGreaterThanOrEqual(at);
    }
    // The taker moves the schedule on in the background: then exactly one occurrence waits, the next tick's.
    const last = ticks[ticks.length - 1];
    await eventually(
      'the schedule moved past the last tick run',
      async () => (await orchestrator.schedules(queue))[0]?.nextRunAt.getTime() > last,
    );
    expect(await pending(orchestrator, queue)).toBe(1);
    expect(await orchestrator.deadLetters(queue)).toEqual([]);
  });

  withSchedules('schedule() is an idempotent upsert: the same call again, here or from another client, changes nothing', async () => {
    const { queue, orchestrator } = await registeredQueue(ctx, 'upsert');
    const first = await orchestrator.schedule(queue, 'k', { every: RARELY }, { label: 'same' }, { priority: 0 });
    const again = await orchestrator.schedule(queue, 'k', { every: RARELY }, { label: 'same' }, { priority: 0 });
    expect(again).toEqual(first);
    expect(await orchestrator.schedules(queue)).toEqual([first]);
    expect(await pending(orchestrator, queue)).toBe(1);
    if (ctx.capabilities.sharedJobState) {
      const other = await ctx.secondOrchestrator();
      await other.register(taskSchema(queue));
      expect(await other.schedule(queue, 'k', { every: RARELY }, { label: 'same' })).toEqual(first);
      expect(await pending(orchestrator, queue)).toBe(1);
    }
  });

  withSchedules('changing a schedule replaces its pending occurrence', async () => {
    const { queue, orchestrator } = await registeredQueue(ctx, 'change');
    const old = await orchestrator.schedule(queue, 'k', { every: RARELY }, { label: 'old' });
    const oldId = scheduleOccurrenceId(queue, 'k', old.nextRunAt.getTime());
    const changed = await orchestrator.schedule(queue, 'k', { every: EVERY }, { label: 'new' });
    expect(changed).toMatchObject({ every: EVERY, payload: { label: 'new' } });
    expect(changed.nextRunAt.getTime()).not.toBe(old.nextRunAt.getTime());
    expect(await orchestrator.schedules(queue)).toEqual([changed]);
    expect(await pending(orchestrator, queue)).toBe(1);
    if (ctx.capabilities.jobState) expect(['waiting', 'delayed']).not.toContain((await orchestrator.getJob(oldId))?.status);

    const runs: { label: string; id: string }[] = [];
    const consumer = connected(orchestrator, queue, (job) => void runs.push({ label: job.payload.label, id: job.id }));
    expect(await consumer.consume(1)).toBe(1);
    expect(runs).toEqual([{ label: 'new', id: scheduleOccurrenceId(queue, 'k', changed.nextRunAt.getTime()) }]);
  });

  withSchedules('unschedule withdraws the pending occurrence and says whether the schedule existed', async () => {
    const { queue, orchestrator } = await registeredQueue(ctx, 'unsched');
    const info = await orchestrator.schedule(queue, 'k', { every: RARELY }, { label: 'gone' });
    await orchestrator.schedule(queue, 'stays', { every: RARELY }, { label: 'stays' });
    expect(await pending(orchestrator, queue)).toBe(2);
    expect(await orchestrator.unschedule(queue, 'k')).toBe(true);
    expect((await orchestrator.schedules(queue)).map((s) => s.key)).toEqual(['stays']);
    expect(await pending(orchestrator, queue)).toBe(1);
    if (ctx.capabilities.jobState) {
      const occurrence = await orchestrator.getJob(scheduleOccurrenceId(queue, 'k', info.nextRunAt.getTime()));
      expect(['waiting', 'delayed']).not.toContain(occurrence?.status);
    }
    expect(await orchestrator.unschedule(queue, 'k')).toBe(false);
    expect(await orchestrator.unschedule(queue, 'never')).toBe(false);
  });

  withSchedules('schedules() lists a queue’s schedules sorted by key, or every queue’s, with nextRunAt', async () => {
    const { queue, orchestrator } = await registeredQueue(ctx, 'list');
    const otherQueue = ctx.queueName('list-other');
    await orchestrator.register(taskSchema(otherQueue));
    const before = Date.now();
    await orchestrator.schedule(queue, 'b', { every: RARELY }, { label: 'b' }, { priority: 0 });
    await orchestrator.schedule(queue, 'a', { cron: '0 3 * * *', tz: 'Europe/Berlin' }, { label: 'a' });
    await orchestrator.schedule(otherQueue, 'c', { every: RARELY }, { label: 'c' });

    const listed = await orchestrator.schedules(queue);
    expect(listed.map((s) => [s.queue, s.key])).toEqual([
      [queue, 'a'],
      [queue, 'b'],
    ]);
    expect(listed[0]).toMatchObject({ cron: '0 3 * * *', tz: 'Europe/Berlin', payload: { label: 'a' }, priority: 0 });
    expect(listed[1]).toMatchObject({ every: RARELY, payload: { label: 'b' } });
    for (const info of listed) {
      expect(info.nextRunAt).toBeInstanceOf(Date);
      expect(info.nextRunAt.getTime()).toBeGreaterThan(before);
      expect(info.updatedAt).toBeInstanceOf(Date);
      expect(info.updatedAt.getTime()).toBeGreaterThanOrEqual(before - 1000);
    }
    // Other runs may share the backend: look only at this test's queues.
    const everywhere = (await orchestrator.schedules()).filter((s) => s.queue === queue || s.queue === otherQueue);
    expect(everywhere.map((s) => `${s.queue}/${s.key}`).sort()).toEqual([`${queue}/a`, `${queue}/b`, `${otherQueue}/c`].sort());
  });

  withSchedules('ticks missed while nothing consumed run once when a consumer comes, then the next tick after now', async () => {
    const { queue, orchestrator } = await registeredQueue(ctx, 'missed');
    const info = await orchestrator.schedule(queue, 'k', { every: EVERY }, { label: 'missed' });
    const first = info.nextRunAt.getTime();
    // A timer until a known time: several ticks pass with no consumer.
    await sleep(first + 3 * EVERY - Date.now());
    expect(await pending(orchestrator, queue)).toBe(1);

    const consumer = connected(orchestrator, queue, () => undefined);
    const taken = takenJobs(consumer);
    expect(await consumer.consume(2)).toBe(2);
    const [missed, next] = taken;
    expect(missed.job.schedule?.at).toBe(first);
    const nextAt = next.job.schedule?.at ?? NaN;
    // Not the missed ticks one by one: the first tick after the missed one was taken.
    expect(nextAt % EVERY).toBe(0);
    expect(nextAt).toBeGreaterThanOrEqual(first + 3 * EVERY);
  });

  withSchedules('a cron schedule in a time zone runs at that zone’s wall-clock time', async () => {
    const { queue, orchestrator } = await registeredQueue(ctx, 'cron');
    // Asia/Kolkata is UTC+05:30 all year: 12:30 there is 07:00 UTC.
    const before = Date.now();
    const info = await orchestrator.schedule(queue, 'noon', { cron: '30 12 * * *', tz: 'Asia/Kolkata' }, { label: 'cron' });
    const today = new Date(before);
    today.setUTCHours(7, 0, 0, 0);
    const expected = today.getTime() > before ? today.getTime() : today.getTime() + 86_400_000;
    expect(info.nextRunAt.getTime()).toBe(expected);
    expect(info).toMatchObject({ cron: '30 12 * * *', tz: 'Asia/Kolkata' });
    if (ctx.capabilities.jobState) {
      const occurrence = await orchestrator.getJob(scheduleOccurrenceId(queue, 'noon', expected));
      expect(occurrence).toMatchObject({ status: 'delayed', runAt: new Date(expected).toISOString(), payload: { label: 'cron' } });
    }
    // Without a zone, UTC.
    const utc = await orchestrator.schedule(queue, 'utc', { cron: '0 7 * * *' }, { label: 'cron' });
    expect(utc.nextRunAt.getTime()).toBe(expected);
  });

  withSchedules('a bad cron, time zone or interval is refused with InvalidOptionError, storing nothing', async () => {
    const { queue, orchestrator } = await registeredQueue(ctx, 'bad-sched');
    for (const when of [{ cron: 'not a cron' }, { cron: '0 3 * * *', tz: 'Mars/Olympus' }, { every: 0 }, { every: 1.5 }, { every: -200 }]) {
      await expect(orchestrator.schedule(queue, 'k', when, { label: 'x' })).rejects.toBeInstanceOf(InvalidOptionError);
    }
    expect(await orchestrator.schedules(queue)).toEqual([]);
    expect(await pending(orchestrator, queue)).toBe(0);
  });

  /**
   * Takes the schedule's first occurrence as a consumer takes one ahead of its run, moves the schedule
   * on as that consumer does, and gives the occurrence back unrun (a stop with jobs taken ahead).
   */
  async function givenBackAfterAdvance(queue: string): Promise<string> {
    const backend = ctx.orchestrator().backend;
    const [delivery] = await backend.fetch(queue, 1, { wait: true, leaseMs: 30_000, startNow: 0, signal: AbortSignal.timeout(10_000) });
    expect(delivery?.job.schedule?.key).toBe('k');
    expect(await advanceSchedule(backend, queue, delivery.job.schedule!)).toBe(true);
    await backend.release(delivery);
    // The one given back waits, the next tick's is enqueued.
    expect(await pending(ctx.orchestrator(), queue)).toBe(2);
    return delivery.job.id;
  }

  itIf(has && ctx.capabilities.releaseUncounted !== false, 'a job given back unrun may come back counted (capability releaseUncounted)')(
    'unschedule withdraws an occurrence given back unrun after the schedule moved past it',
    async () => {
      const { queue, orchestrator } = await registeredQueue(ctx, 'given-back');
      await orchestrator.schedule(queue, 'k', { every: EVERY }, { label: 'old' });
      const id = await givenBackAfterAdvance(queue);
      expect(await orchestrator.unschedule(queue, 'k')).toBe(true);
      expect(await pending(orchestrator, queue)).toBe(0);
      if (ctx.capabilities.jobState) expect(await orchestrator.getJob(id)).toBeNull();
      expect(await orchestrator.backend.fetch(queue, 10, { wait: false, leaseMs: 30_000 })).toEqual([]);
    },
  );

  itIf(has && ctx.capabilities.releaseUncounted !== false, 'a job given back unrun may come back counted (capability releaseUncounted)')(
    'unschedule withdraws an occurrence given back after later ticks were taken too',
    async () => {
      const { queue, orchestrator } = await registeredQueue(ctx, 'given-back-late');
      const backend = orchestrator.backend;
      await orchestrator.schedule(queue, 'k', { every: EVERY }, { label: 'old' });
      // One consumer holds tick 1 taken ahead while another takes tick 2 (and moves the schedule on); then both stop.
      const held = [];
      for (let i = 0; i < 2; i++) {
        const [delivery] = await backend.fetch(queue, 1, { wait: true, leaseMs: 30_000, startNow: 0, signal: AbortSignal.timeout(10_000) });
        expect(await advanceSchedule(backend, queue, delivery.job.schedule!)).toBe(true);
        held.push(delivery);
      }
      for (const delivery of held) await backend.release(delivery);
      expect(await pending(orchestrator, queue)).toBe(3);
      expect(await orchestrator.unschedule(queue, 'k')).toBe(true);
      expect(await pending(orchestrator, queue)).toBe(0);
      expect(await backend.fetch(queue, 10, { wait: false, leaseMs: 30_000 })).toEqual([]);
    },
  );

  itIf(has && ctx.capabilities.releaseUncounted !== false, 'a job given back unrun may come back counted (capability releaseUncounted)')(
    'changing a schedule withdraws an occurrence given back unrun after the schedule moved past it',
    async () => {
      const { queue, orchestrator } = await registeredQueue(ctx, 'given-back-changed');
      await orchestrator.schedule(queue, 'k', { every: EVERY }, { label: 'old' });
      const id = await givenBackAfterAdvance(queue);
      await orchestrator.schedule(queue, 'k', { every: RARELY }, { label: 'new' });
      expect(await pending(orchestrator, queue)).toBe(1);
      if (ctx.capabilities.jobState) expect(await orchestrator.getJob(id)).toBeNull();
      expect(await orchestrator.backend.fetch(queue, 10, { wait: false, leaseMs: 30_000 })).toEqual([]);
    },
  );

  withSchedules('schedules whose queue and key differ only in where a ":" falls each keep their own occurrence', async () => {
    const orchestrator = ctx.orchestrator();
    const base = ctx.queueName('colon');
    const left = { queue: `${base}:x`, key: 'k', label: 'left' };
    const right = { queue: base, key: 'x:k', label: 'right' };
    // Once a year: both schedules wait for the same tick, which is what made their ids one.
    const yearly = { cron: '0 0 1 1 *' };
    for (const { queue, key, label } of [left, right]) {
      await orchestrator.register(taskSchema(queue));
      await orchestrator.schedule(queue, key, yearly, { label });
    }
    for (const { queue, key, label } of [left, right]) {
      expect(await pending(orchestrator, queue)).toBe(1);
      if (ctx.capabilities.jobState) {
        const [info] = await orchestrator.schedules(queue);
        const occurrence = await orchestrator.getJob(scheduleOccurrenceId(queue, key, info.nextRunAt.getTime()));
        expect(occurrence).toMatchObject({ status: 'delayed', payload: { label } });
      }
    }
    expect(await orchestrator.unschedule(right.queue, right.key)).toBe(true);
    expect(await pending(orchestrator, right.queue)).toBe(0);
    expect(await pending(orchestrator, left.queue)).toBe(1);
  });

  itIf(has && ctx.capabilities.sharedJobState, 'no schedules shared between clients (capabilities schedules + sharedJobState)')(
    'two clients scheduling the same key at once store one schedule with one occurrence',
    async () => {
      const { queue, orchestrator } = await registeredQueue(ctx, 'race');
      const other = await ctx.secondOrchestrator();
      await other.register(taskSchema(queue));
      const infos = await Promise.all(
        [orchestrator, other, orchestrator, other].map((o) => o.schedule(queue, 'k', { every: RARELY }, { label: 'race' })),
      );
      expect(new Set(infos.map((i) => i.nextRunAt.getTime())).size).toBe(1);
      expect(await orchestrator.schedules(queue)).toHaveLength(1);
      expect(await pending(orchestrator, queue)).toBe(1);
    },
  );
}
