import 'reflect-metadata';
import { Registry } from 'prom-client';
import { JobMetrics, JobTracing, LocalClient, Orchestrator, type JobProgress } from '../../lib';
import { FnConsumer, taskSchema } from '../conformance/conformance.fixtures';
import { inMemoryTracing } from './support/in-memory-tracing';

/** Progress reports and deduplicated publishes as traces and metrics show them, on the embedded backend. */
describe('flow control in traces and metrics', () => {
  const orchestrators: Orchestrator[] = [];
  afterEach(async () => Promise.all(orchestrators.splice(0).map((o) => o.close())));

  async function observed(queue: string) {
    const tracing = inMemoryTracing();
    const registry = new Registry();
    const orchestrator = new Orchestrator(new LocalClient(), {
      instrumentation: [new JobTracing({ tracerProvider: tracing.provider }), new JobMetrics({ registry })],
    });
    orchestrators.push(orchestrator);
    await orchestrator.register(taskSchema(queue));
    const counter = async (name: string): Promise<number | undefined> => {
      const { values } = await registry.getSingleMetric(`mindtrace_jobs_${name}_total`)!.get();
      return values.find((v) => v.labels.queue === queue)?.value;
    };
    return { tracing, orchestrator, counter };
  }

  it("each progress report is an event on the run's span, a count in progress_total and a progress event; getJob keeps the last", async () => {
    const { tracing, orchestrator, counter } = await observed('reporting');
    const consumer = new FnConsumer('reporting', async (_job, context) => {
      await context.progress(40);
      await context.progress({ stage: 'upload', done: 3 });
    });
    consumer.connect(orchestrator);
    const fromOrchestrator: JobProgress[] = [];
    const fromConsumer: JobProgress[] = [];
    orchestrator.events.on('progress', ({ progress }) => void fromOrchestrator.push(progress));
    consumer.on('progress', ({ progress }) => void fromConsumer.push(progress));
    const id = await orchestrator.publish('reporting', { label: 'a' });
    expect(await consumer.consume(1)).toBe(1);

    const run = tracing.spans().find((span) => span.name === 'process reporting')!;
    expect(run.events.map((event) => [event.name, event.attributes])).toEqual([
      ['progress', { 'mindtrace_jobs.job.progress': 40 }],
      ['progress', { 'mindtrace_jobs.job.progress': '{"stage":"upload","done":3}' }],
    ]);
    expect(await counter('progress')).toBe(2);
    expect(fromOrchestrator).toEqual([40, { stage: 'upload', done: 3 }]);
    expect(fromConsumer).toEqual(fromOrchestrator);
    expect((await orchestrator.getJob(id))?.progress).toEqual({ stage: 'upload', done: 3 });
  });

  it('a refused progress report records nothing', async () => {
    const { tracing, orchestrator, counter } = await observed('refused');
    const errors: unknown[] = [];
    const consumer = new FnConsumer('refused', (_job, context) =>
      context.progress(Number.NaN).catch((error: unknown) => void errors.push(error)),
    );
    consumer.connect(orchestrator);
    const id = await orchestrator.publish('refused', { label: 'b' });
    expect(await consumer.consume(1)).toBe(1);
    expect(errors).toHaveLength(1);
    expect(tracing.spans().find((span) => span.name === 'process refused')!.events).toEqual([]);
    expect(await counter('progress')).toBeUndefined();
    expect((await orchestrator.getJob(id))?.progress).toBeNull();
  });

  it('a deduplicated publish that finds its key held counts as no publish, and its send span says duplicate', async () => {
    const { tracing, orchestrator, counter } = await observed('dedup');
    const first = await orchestrator.publish('dedup', { label: 'c' }, { deduplication: { key: 'doc-7' } });
    const second = await orchestrator.publish('dedup', { label: 'c' }, { deduplication: { key: 'doc-7' } });
    expect(second).toBe(first);
    expect(await counter('published')).toBe(1);
    const sends = tracing.spans().filter((span) => span.name === 'send dedup');
    expect(sends.map((span) => span.attributes['mindtrace_jobs.publish.duplicate'])).toEqual([undefined, true]);
    expect(await orchestrator.countQueueMessages('dedup')).toBe(1);
  });
});
