import 'reflect-metadata';
import { LocalClient, Orchestrator, RateLimitedError } from '../../lib';
import { FnConsumer, taskSchema } from '../conformance/conformance.fixtures';

/**
 * A run that throws RateLimitedError, as consume(n) and consumeUntilEmpty count it, on the embedded
 * backend: the job given back is not a settled one, so a bounded consume takes it (or another) again.
 */
describe('a rate-limited run', () => {
  const HOLD_MS = 150;
  let orchestrator: Orchestrator;
  beforeEach(async () => {
    orchestrator = new Orchestrator(new LocalClient());
    await orchestrator.register(taskSchema('geocode'));
  });
  afterEach(() => orchestrator.close());

  function throwingOnce(): { consumer: FnConsumer; starts: { label: string; attempt: number; at: number }[]; thrownAt: () => number } {
    const starts: { label: string; attempt: number; at: number }[] = [];
    let thrownAt = 0;
    const consumer = new FnConsumer('geocode', (job) => {
      starts.push({ label: job.payload.label, attempt: job.attempt, at: Date.now() });
      if (thrownAt === 0) {
        thrownAt = Date.now();
        throw new RateLimitedError(HOLD_MS);
      }
    });
    consumer.connect(orchestrator);
    return { consumer, starts, thrownAt: () => thrownAt };
  }

  it('is not counted by consume(n): consume(1) runs the job again after the hold and resolves 1', async () => {
    const { consumer, starts, thrownAt } = throwingOnce();
    const id = await orchestrator.publish('geocode', { label: 'a' });
    expect(await consumer.consume(1)).toBe(1);
    expect(starts.map(({ label, attempt }) => [label, attempt])).toEqual([
      ['a', 1],
      ['a', 1],
    ]);
    expect(starts[1].at).toBeGreaterThanOrEqual(thrownAt() + HOLD_MS);
    expect(await orchestrator.getJob(id)).toMatchObject({ status: 'completed', attempt: 1 });
  });

  it('does not end consumeUntilEmpty while the hold keeps its job from being taken', async () => {
    const { consumer, starts } = throwingOnce();
    const ids = [await orchestrator.publish('geocode', { label: 'a' }), await orchestrator.publish('geocode', { label: 'b' })];
    expect(await consumer.consumeUntilEmpty()).toBe(2);
    expect(starts.map(({ label }) => label)).toEqual(['a', 'a', 'b']);
    for (const id of ids) expect(await orchestrator.getJob(id)).toMatchObject({ status: 'completed', attempt: 1 });
  });

  it('with no time to wait (NaN, 0, negative) fails like any error, its attempt counted, instead of coming back for ever', async () => {
    const starts: number[] = [];
    const consumer = new FnConsumer('geocode', (job) => {
      starts.push(job.attempt);
      // What Number(undefined) * 1000 gives for a missing Retry-After header.
      throw new RateLimitedError(Number(undefined) * 1000);
    });
    consumer.connect(orchestrator);
    const id = await orchestrator.publish('geocode', { label: 'a' });
    expect(await consumer.consume(1)).toBe(1);
    expect(starts).toEqual([1]);
    expect(await orchestrator.getJob(id)).toMatchObject({ status: 'dead', attempt: 1, error: { name: 'RateLimitedError' } });
  });
});
