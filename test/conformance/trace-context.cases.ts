import { Orchestrator, type JobInstrumentation, type JobRecord } from '../../lib';
import type { ConformanceContext } from './conformance-context';
import { FnConsumer, taskSchema } from './conformance.fixtures';

/** A publisher's instrumentation that writes a fixed W3C trace context into every job it sends. */
const TRACE_CONTEXT = { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', tracestate: 'vendor=a' };
const stamping: JobInstrumentation = {
  publishing: (_queue, items) => {
    for (const item of items) item.job.traceContext = { ...TRACE_CONTEXT };
    return () => undefined;
  },
};

/**
 * The optional fields a job carries for its observers (traceContext, dueAt) travel with it through the
 * backend: on every retry, after a delay and after a redrive (test/ops crosses processes on the brokers).
 */
export function traceContextCases(ctx: ConformanceContext): void {
  async function publisherAndConsumerSide(label: string) {
    const queue = ctx.queueName(label);
    const schema = taskSchema(queue);
    const publisher = new Orchestrator(ctx.orchestrator().backend, { instrumentation: [stamping] });
    await publisher.register(schema);
    // The consumer's side has no instrumentation: the fields come from the backend, not from this process.
    const consuming = ctx.orchestrator();
    await consuming.register(schema);
    return { queue, publisher, consuming };
  }

  /** Every record the consumer was handed, in order, as the backend delivered it. */
  function recordsSeen(consumer: FnConsumer): JobRecord[] {
    const seen: JobRecord[] = [];
    consumer.on('active', ({ job }) => void seen.push(job));
    return seen;
  }

  it('a job keeps its trace context through a retry, its death and a redrive', async () => {
    const { queue, publisher, consuming } = await publisherAndConsumerSide('tc');
    const id = await publisher.publish(queue, { label: 'traced' });
    const consumer = new FnConsumer(
      queue,
      () => {
        throw new Error('fails every time');
      },
      { attempts: 2, backoff: { type: 'fixed', delay: 1 } },
    );
    const seen = recordsSeen(consumer);
    consumer.connect(consuming);
    expect(await consumer.consume(1)).toBe(1);
    expect(await consumer.consume(1)).toBe(1);
    expect(await consuming.redrive(queue)).toBe(1);
    expect(await consumer.consume(1)).toBe(1);
    expect(seen.map((job) => [job.id, job.attempt, job.traceContext])).toEqual([
      [id, 1, TRACE_CONTEXT],
      [id, 2, TRACE_CONTEXT],
      [id, 1, TRACE_CONTEXT],
    ]);
  });

  it('a delayed job carries its trace context and when it fell due; an undelayed one no due time', async () => {
    const { queue, publisher, consuming } = await publisherAndConsumerSide('tcd');
    const runAt = new Date(Date.now() + 50);
    const delayed = await publisher.publish(queue, { label: 'later' }, { runAt });
    const now = await publisher.publish(queue, { label: 'now' });
    const consumer = new FnConsumer(queue, () => undefined);
    const seen = recordsSeen(consumer);
    consumer.connect(consuming);
    expect(await consumer.consume(2)).toBe(2);
    const byId = new Map(seen.map((job) => [job.id, job]));
    expect(byId.get(delayed)).toMatchObject({ traceContext: TRACE_CONTEXT, dueAt: runAt.toISOString() });
    expect(byId.get(now)).toMatchObject({ traceContext: TRACE_CONTEXT });
    expect(byId.get(now)?.dueAt).toBeUndefined();
  });
}
