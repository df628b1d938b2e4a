import 'reflect-metadata';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { JobTracing, LocalClient, Orchestrator, type JobRecord } from '../../lib';
import { FnConsumer, taskSchema } from '../conformance/conformance.fixtures';
import { inMemoryTracing } from './support/in-memory-tracing';

/**
 * OpenTelemetry traces on the embedded backend: a producer span per publish, a consumer span per run in
 * the publisher's trace (retries too), the handler's own spans inside its run's span, failures recorded.
 */
describe('JobTracing', () => {
  const orchestrators: Orchestrator[] = [];
  afterEach(async () => Promise.all(orchestrators.splice(0).map((o) => o.close())));

  async function traced(queue: string) {
    const tracing = inMemoryTracing();
    const orchestrator = new Orchestrator(new LocalClient(), { instrumentation: [new JobTracing({ tracerProvider: tracing.provider })] });
    orchestrators.push(orchestrator);
    await orchestrator.register(taskSchema(queue));
    return { tracing, orchestrator };
  }

  it("a run joins the trace of the publish that sent its job, and the handler's spans are its children", async () => {
    const { tracing, orchestrator } = await traced('traced');
    const handlerTracer = tracing.provider.getTracer('app');
    const consumer = new FnConsumer('traced', () => handlerTracer.startActiveSpan('detect objects', (span) => span.end()));
    consumer.connect(orchestrator);
    const id = await orchestrator.publish('traced', { label: 'a' });
    expect(await consumer.consume(1)).toBe(1);

    const [publish, run, child] = ['send traced', 'process traced', 'detect objects'].map((name) =>
      tracing.spans().find((span) => span.name === name)!,
    );
    expect(publish).toMatchObject({
      kind: SpanKind.PRODUCER,
      attributes: {
        'messaging.system': 'local',
        'messaging.destination.name': 'traced',
        'messaging.operation.name': 'send',
        'messaging.message.id': id,
      },
    });
    expect(run).toMatchObject({
      kind: SpanKind.CONSUMER,
      attributes: {
        'messaging.system': 'local',
        'messaging.destination.name': 'traced',
        'messaging.operation.name': 'process',
        'messaging.message.id': id,
        'mindtrace_jobs.job.attempt': 1,
      },
    });
    expect(new Set([publish, run, child].map((span) => span.spanContext().traceId)).size).toBe(1);
    expect(tracing.parentOf(run)).toBe(publish.spanContext().spanId);
    expect(tracing.parentOf(child)).toBe(run.spanContext().spanId);
  });

  it("a publish inside a request's span joins that trace", async () => {
    const { tracing, orchestrator } = await traced('in-request');
    const request = tracing.provider.getTracer('http').startSpan('POST /detections');
    await context.with(trace.setSpan(context.active(), request), () => orchestrator.publish('in-request', { label: 'b' }));
    request.end();
    const publish = tracing.spans().find((span) => span.name === 'send in-request')!;
    expect(publish.spanContext().traceId).toBe(request.spanContext().traceId);
    expect(tracing.parentOf(publish)).toBe(request.spanContext().spanId);
  });

  it('each failed attempt is an error span with its exception, and every retry stays in the trace', async () => {
    const { tracing, orchestrator } = await traced('failing');
    const consumer = new FnConsumer(
      'failing',
      (job) => {
        if (job.attempt < 3) throw new Error(`camera offline (attempt ${job.attempt})`);
      },
      { attempts: 3, backoff: { type: 'fixed', delay: 1 } },
    );
    consumer.connect(orchestrator);
    await orchestrator.publish('failing', { label: 'c' });
    expect(await consumer.consume(3)).toBe(3);

    const publish = tracing.spans().find((span) => span.name === 'send failing')!;
    const runs = tracing.spans().filter((span) => span.name === 'process failing');
    expect(
      runs.map((span) => [span.attributes['mindtrace_jobs.job.attempt'], span.status.code, span.events.map((event) => event.name)]),
    ).toEqual([
      [1, SpanStatusCode.ERROR, ['exception']],
      [2, SpanStatusCode.ERROR, ['exception']],
      [3, SpanStatusCode.UNSET, []],
    ]);
    expect(runs[0].events[0].attributes).toMatchObject({ 'exception.message': 'camera offline (attempt 1)' });
    expect(runs.map((span) => tracing.parentOf(span))).toEqual([
      publish.spanContext().spanId,
      publish.spanContext().spanId,
      publish.spanContext().spanId,
    ]);
  });

  it('a batch is one send span whose context every job carries', async () => {
    const { tracing, orchestrator } = await traced('batch');
    const carried: JobRecord[] = [];
    orchestrator.events.on('active', ({ job }) => void carried.push(job));
    await orchestrator.publishBatch('batch', [{ label: 'd' }, { label: 'e' }]);
    const consumer = new FnConsumer('batch', () => undefined);
    consumer.connect(orchestrator);
    expect(await consumer.consume(2)).toBe(2);
    const sends = tracing.spans().filter((span) => span.name === 'send batch');
    expect(sends).toHaveLength(1);
    expect(sends[0].attributes['messaging.batch.message_count']).toBe(2);
    expect(carried.map((job) => job.traceContext?.traceparent)).toEqual(
      [0, 1].map(() => `00-${sends[0].spanContext().traceId}-${sends[0].spanContext().spanId}-01`),
    );
  });

  it('without tracing, a job carries no trace context', async () => {
    const orchestrator = new Orchestrator(new LocalClient());
    orchestrators.push(orchestrator);
    await orchestrator.register(taskSchema('plain'));
    const carried: JobRecord[] = [];
    orchestrator.events.on('active', ({ job }) => void carried.push(job));
    await orchestrator.publish('plain', { label: 'f' });
    const consumer = new FnConsumer('plain', () => undefined);
    consumer.connect(orchestrator);
    expect(await consumer.consume(1)).toBe(1);
    expect(carried).toHaveLength(1);
    expect('traceContext' in carried[0]).toBe(false);
  });
});
