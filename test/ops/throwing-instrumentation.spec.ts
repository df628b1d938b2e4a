import 'reflect-metadata';
import { LocalClient, Orchestrator, useJobsLogger, type JobInstrumentation, type JobsLogger, type RunScope } from '../../lib';
import { FnConsumer, taskSchema } from '../conformance/conformance.fixtures';

class BrokenHook extends Error {}

/** An instrumentation whose hook `name` throws (for `running`, its scope's `end` or `within` when `part` says so). */
function throwing(name: 'publishing' | 'published' | 'redriven' | 'running' | 'end' | 'within'): JobInstrumentation {
  const boom = () => {
    throw new BrokenHook(`${name} hook broke`);
  };
  const scope: RunScope = {
    within: name === 'within' ? boom : (run, job, context) => run(job, context),
    end: name === 'end' ? boom : () => undefined,
  };
  return {
    publishing: name === 'publishing' ? boom : () => (name === 'published' ? boom : () => undefined),
    redriven: name === 'redriven' ? boom : undefined,
    running: name === 'running' ? boom : () => scope,
  };
}

/** Error lines the library logged while the test ran. */
const errors: string[] = [];
const recorder: JobsLogger = { log: () => undefined, warn: () => undefined, error: (message) => void errors.push(message) };
beforeAll(() => useJobsLogger(recorder));
afterAll(() => useJobsLogger(false));

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => void unhandled.push(reason);
beforeAll(() => process.on('unhandledRejection', onUnhandled));
afterAll(() => process.off('unhandledRejection', onUnhandled));

/** Lets every pending callback run, so a rejection nobody handles is reported before the test asserts. */
const drained = () => new Promise((resolve) => setImmediate(resolve));
const hang = () => new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 5000).unref());

describe('an instrumentation hook that throws changes no outcome', () => {
  const orchestrators: Orchestrator[] = [];
  let counter = 0;
  beforeEach(() => {
    errors.length = 0;
    unhandled.length = 0;
  });
  afterEach(async () => Promise.all(orchestrators.splice(0).map((o) => o.close())));

  async function instrumented(hook: Parameters<typeof throwing>[0]) {
    const orchestrator = new Orchestrator(new LocalClient(), { instrumentation: [throwing(hook)] });
    orchestrators.push(orchestrator);
    const queue = `hooked-${++counter}`;
    await orchestrator.register(taskSchema(queue));
    return { orchestrator, queue };
  }

  for (const hook of ['running', 'within', 'end'] as const) {
    it(`a throwing ${hook} hook: jobs still complete or fail by their own outcome, nothing is unhandled, and consume() runs again`, async () => {
      const { orchestrator, queue } = await instrumented(hook);
      const consumer = new FnConsumer(
        queue,
        (job) => {
          if (job.payload.label === 'bad') throw new Error('run failed');
        },
        { attempts: 1 },
      );
      consumer.connect(orchestrator);
      const good = await orchestrator.publish(queue, { label: 'good' });
      const bad = await orchestrator.publish(queue, { label: 'bad' });

      expect(await Promise.race([consumer.consume(2), hang()])).toBe(2);
      expect((await orchestrator.getJob(good))?.status).toBe('completed');
      expect((await orchestrator.getJob(bad))?.status).toBe('dead');
      expect((await orchestrator.deadLetters(queue)).map((d) => d.error.message)).toEqual(['run failed']);

      const again = await orchestrator.publish(queue, { label: 'good' });
      expect(await Promise.race([consumer.consume(1), hang()])).toBe(1);
      expect((await orchestrator.getJob(again))?.status).toBe('completed');
      await drained();
      expect(unhandled).toEqual([]);
      expect(errors.some((e) => e.includes(`${hook} hook broke`) && e.includes(hook))).toBe(true);
    });
  }

  for (const hook of ['publishing', 'published'] as const) {
    it(`a throwing ${hook} hook: publish and publishBatch resolve and the jobs are enqueued`, async () => {
      const { orchestrator, queue } = await instrumented(hook);
      const id = await orchestrator.publish(queue, { label: 'a' });
      const batch = await orchestrator.publishBatch(queue, [{ label: 'b' }]);
      expect(batch.count).toBe(1);
      expect((await orchestrator.getJob(id))?.status).toBe('waiting');
      expect(await orchestrator.countQueueMessages(queue)).toBe(2);
      expect(errors.some((e) => e.includes(`${hook} hook broke`))).toBe(true);
    });
  }

  it('a throwing redriven hook: redrive resolves with the count and the jobs are back', async () => {
    const { orchestrator, queue } = await instrumented('redriven');
    const consumer = new FnConsumer(
      queue,
      () => {
        throw new Error('run failed');
      },
      { attempts: 1 },
    );
    consumer.connect(orchestrator);
    await orchestrator.publish(queue, { label: 'a' });
    expect(await consumer.consume(1)).toBe(1);

    expect(await orchestrator.redrive(queue)).toBe(1);
    expect(await orchestrator.countQueueMessages(queue)).toBe(1);
    expect(errors.some((e) => e.includes('redriven hook broke'))).toBe(true);
  });
});
