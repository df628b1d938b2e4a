import { InvalidOptionError, type Orchestrator, type RetentionOptions } from '../../lib';
import { itIf, type ConformanceContext } from './conformance-context';
import { FnConsumer, taskSchema } from './conformance.fixtures';

/** Long enough past a rule's `ageMs` for any backend's clock; the cases assert state, not time. */
const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Retention: each backend keeps finished jobs (completed, and dead letters) within the rules it was
 * built with, by count and by age — by age also on a queue where nothing happens any more.
 */
export function retentionCases(ctx: ConformanceContext): void {
  const withJobState = itIf(ctx.capabilities.jobState, 'no job state (capability jobState)');

  /** An orchestrator over a backend built with `retention`, a registered queue, and `count` jobs published to it. */
  async function queueWith(retention: RetentionOptions, label: string, count: number) {
    const orchestrator = await ctx.orchestratorWith({ retention });
    const queue = ctx.queueName(label);
    await orchestrator.register(taskSchema(queue));
    const ids: string[] = [];
    for (let i = 0; i < count; i++) ids.push(await orchestrator.publish(queue, { label: `${label}-${i}` }));
    return { orchestrator, queue, ids };
  }

  /** Runs `count` jobs one at a time, so they finish in publish order; `fail` dead-letters them. */
  async function consume(orchestrator: Orchestrator, queue: string, count: number, fail = false): Promise<void> {
    const consumer = new FnConsumer(queue, () => {
      if (fail) throw new Error('fails on purpose');
    });
    consumer.connect(orchestrator);
    expect(await consumer.consume(count)).toBe(count);
  }

  const statusesOf = (orchestrator: Orchestrator, ids: string[]) =>
    Promise.all(ids.map(async (id) => (await orchestrator.getJob(id))?.status ?? null));

  withJobState('completed { count: 2 } keeps the two newest completed jobs and forgets the older ones', async () => {
    const { orchestrator, queue, ids } = await queueWith({ completed: { count: 2 } }, 'keep-2', 4);
    await consume(orchestrator, queue, 4);

    expect((await orchestrator.queueStats(queue)).completed).toBe(2);
    expect(await statusesOf(orchestrator, ids)).toEqual([null, null, 'completed', 'completed']);
  });

  it('dead { count: 2 } keeps the two newest dead letters', async () => {
    const { orchestrator, queue, ids } = await queueWith({ dead: { count: 2 } }, 'dead-2', 4);
    await consume(orchestrator, queue, 4, true);

    expect((await orchestrator.deadLetters(queue)).map((d) => d.job.id)).toEqual(ids.slice(2));
    expect((await orchestrator.queueStats(queue)).dead).toBe(2);
    if (ctx.capabilities.jobState) expect(await statusesOf(orchestrator, ids)).toEqual([null, null, 'dead', 'dead']);
  });

  withJobState('completed { ageMs } forgets an expired job even when nothing else finishes on its queue', async () => {
    const { orchestrator, queue, ids } = await queueWith({ completed: { ageMs: 100 } }, 'age-idle', 2);
    await consume(orchestrator, queue, 1);
    await pause(300);

    // Nothing finished after the first job: the queue is idle, and its expired job must still go.
    expect(await orchestrator.getJob(ids[0])).toBeNull();
    expect(await orchestrator.queueStats(queue)).toMatchObject({ waiting: 1, completed: 0 });
    // Retention touches finished jobs only.
    expect((await orchestrator.getJob(ids[1]))?.status).toBe('waiting');
  });

  it('dead { ageMs } drops an expired dead letter even when nothing else dies on its queue', async () => {
    const { orchestrator, queue, ids } = await queueWith({ dead: { ageMs: 100 } }, 'dead-age-idle', 1);
    await consume(orchestrator, queue, 1, true);
    await pause(300);

    expect(await orchestrator.deadLetters(queue)).toEqual([]);
    expect((await orchestrator.queueStats(queue)).dead).toBe(0);
    if (ctx.capabilities.jobState) expect(await orchestrator.getJob(ids[0])).toBeNull();
  });

  it('an unknown or misspelt retention option is refused when the backend is built, naming it', async () => {
    for (const [retention, option] of [
      [{ complete: { count: 10 } }, 'retention.complete'],
      // Without job state no completed job is kept, so the whole `completed` rule is what is refused.
      [{ completed: { max: 10 } }, ctx.capabilities.jobState ? 'retention.completed.max' : 'retention.completed'],
      [{ dead: { count: 1.5 } }, 'retention.dead.count'],
    ] as const) {
      const error = await Promise.resolve()
        .then(() => ctx.factory.create({ retention: retention as RetentionOptions }))
        .then(
          (backend) => backend.close().then(() => null),
          (err: unknown) => err,
        );
      expect(error).toBeInstanceOf(InvalidOptionError);
      expect(error).toMatchObject({ option });
    }
  });
}
