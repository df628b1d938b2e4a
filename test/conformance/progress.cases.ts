import { InvalidOptionError, UnsupportedCapabilityError, type JobProgress, type JobState } from '../../lib';
import { itIf, type ConformanceContext } from './conformance-context';
import { connected, registeredQueue } from './flow-control.fixtures';

/** Progress reported from a run (capability `progress`): kept on the job, emitted as an event, checked. */
export function progressCases(ctx: ConformanceContext): void {
  const has = ctx.capabilities.progress === true;
  const withProgress = itIf(has, 'the backend keeps no progress (capability progress)');

  withProgress('getJob shows the last progress a run reported, and each report fires the progress event', async () => {
    const { queue, orchestrator } = await registeredQueue(ctx, 'progress');
    const fromOrchestrator: unknown[] = [];
    const fromConsumer: unknown[] = [];
    orchestrator.events.on('progress', ({ job, progress }) => void fromOrchestrator.push([job.id, progress]));
    let during: JobState | null = null;
    const consumer = connected(orchestrator, queue, async (job, context) => {
      await context.progress(40);
      await context.progress({ stage: 'upload', done: 3 });
      during = await orchestrator.getJob(job.id);
    });
    consumer.on('progress', ({ progress }) => void fromConsumer.push(progress));
    const id = await orchestrator.publish(queue, { label: 'p' });
    expect((await orchestrator.getJob(id))?.progress).toBeNull();

    expect(await consumer.consume(1)).toBe(1);
    expect(during).toMatchObject({ status: 'active', progress: { stage: 'upload', done: 3 } });
    expect(await orchestrator.getJob(id)).toMatchObject({ status: 'completed', progress: { stage: 'upload', done: 3 } });
    expect(fromOrchestrator).toEqual([
      [id, 40],
      [id, { stage: 'upload', done: 3 }],
    ]);
    expect(fromConsumer).toEqual([40, { stage: 'upload', done: 3 }]);
  });

  it('a progress that is not a finite number or a small plain JSON object is refused with InvalidOptionError', async () => {
    const { queue, orchestrator } = await registeredQueue(ctx, 'bad-progress');
    const refused: unknown[] = [];
    const events: unknown[] = [];
    orchestrator.events.on('progress', ({ progress }) => void events.push(progress));
    const bad: unknown[] = [NaN, Infinity, 'half', null, undefined, [1, 2], new Date(), { big: 'x'.repeat(70 * 1024) }, { n: 1n }];
    const consumer = connected(orchestrator, queue, async (_job, context) => {
      for (const value of bad)
        refused.push(
          await context.progress(value as JobProgress).then(
            () => 'accepted',
            (err: unknown) => err,
          ),
        );
    });
    const id = await orchestrator.publish(queue, { label: 'bad' });
    expect(await consumer.consume(1)).toBe(1);
    expect(refused).toHaveLength(bad.length);
    for (const outcome of refused) expect(outcome).toBeInstanceOf(InvalidOptionError);
    expect(events).toEqual([]);
    if (has) expect((await orchestrator.getJob(id))?.progress).toBeNull();
  });

  withProgress('progress is kept across a retry until the new attempt reports', async () => {
    const { queue, orchestrator } = await registeredQueue(ctx, 'progress-retry');
    const seenByAttempt: (JobProgress | null | undefined)[] = [];
    const consumer = connected(
      orchestrator,
      queue,
      async (job, context) => {
        seenByAttempt.push((await orchestrator.getJob(job.id))?.progress);
        if (job.attempt === 1) {
          await context.progress(50);
          throw new Error('first attempt fails half-way');
        }
      },
      { attempts: 2, backoff: { type: 'fixed', delay: 0 } },
    );
    const id = await orchestrator.publish(queue, { label: 'r' });
    expect(await consumer.consume(2)).toBe(2);
    expect(seenByAttempt).toEqual([null, 50]);
    expect(await orchestrator.getJob(id)).toMatchObject({ status: 'completed', attempt: 2, progress: 50 });
  });

  itIf(!has, 'the backend keeps progress (capability progress)')(
    'a backend without progress still fires the event, and getJob cannot show it',
    async () => {
      const { queue, orchestrator } = await registeredQueue(ctx, 'no-progress');
      const events: unknown[] = [];
      orchestrator.events.on('progress', ({ progress }) => void events.push(progress));
      const consumer = connected(orchestrator, queue, (_job, context) => context.progress(7));
      const id = await orchestrator.publish(queue, { label: 'n' });
      expect(await consumer.consume(1)).toBe(1);
      expect(events).toEqual([7]);
      if (ctx.capabilities.jobState) expect((await orchestrator.getJob(id))?.progress).toBeNull();
      else await expect(orchestrator.getJob(id)).rejects.toBeInstanceOf(UnsupportedCapabilityError);
    },
  );
}
