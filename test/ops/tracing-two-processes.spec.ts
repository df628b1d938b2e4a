import 'reflect-metadata';
import { join } from 'node:path';
import { context, trace } from '@opentelemetry/api';
import { JobTracing, Orchestrator, RedisClient, type JobBackend } from '../../lib';
import { taskSchema } from '../conformance/conformance.fixtures';
import { spawnFixture, type FixtureProcess } from '../support/fixture-process';
import { RABBITMQ_URL, REDIS_URL, requireServer } from '../support/servers';
import { adminConnection, deleteKeysUnder, uniquePrefix } from '../redis/fixtures/redis-test-kit';
import { RabbitMQTestClients, testPrefix } from '../rabbitmq/fixtures/rabbitmq-test-kit';
import { inMemoryTracing } from './support/in-memory-tracing';

/**
 * A producer and a consumer in two processes, each with its own OpenTelemetry SDK: the run's span (and
 * its retry's) is a child of the publish span of the other process, through the real broker.
 */
const COUNT = 3;
const HANG_GUARD_MS = 60_000;

interface ReportedSpan {
  name: string;
  traceId: string;
  parent?: string;
  id: string;
  attempt: number;
  system: string;
  error: boolean;
}

describe.each([
  { kind: 'redis', server: 'redis' as const },
  { kind: 'rabbitmq', server: 'rabbitmq' as const },
])('on $kind', ({ kind, server }) => {
  const prefix = kind === 'redis' ? uniquePrefix() : testPrefix('tracing');
  const rabbit = new RabbitMQTestClients({ prefix });
  let consumerProcess: FixtureProcess | null = null;
  let orchestrator: Orchestrator | null = null;

  beforeAll(() => requireServer(server));
  afterAll(async () => {
    await consumerProcess?.kill();
    await orchestrator?.close();
    if (kind === 'redis') {
      const admin = adminConnection();
      await deleteKeysUnder(admin, prefix);
      admin.disconnect();
    } else {
      await rabbit.deleteDeclaredQueues();
    }
  });

  it(
    "the consumer process's runs join the producer process's traces, retries included",
    async () => {
      const queue = 'traced';
      const tracing = inMemoryTracing();
      const backend: JobBackend = kind === 'redis' ? new RedisClient(REDIS_URL, { prefix }) : rabbit.create();
      orchestrator = new Orchestrator(backend, { instrumentation: [new JobTracing({ tracerProvider: tracing.provider })] });
      await orchestrator.register(taskSchema(queue));
      consumerProcess = spawnFixture(join(__dirname, 'fixtures', 'traced-consumer.ts'), {
        MT_BACKEND: kind,
        REDIS_URL,
        RABBITMQ_URL,
        MT_PREFIX: prefix,
        MT_QUEUE: queue,
        MT_COUNT: String(COUNT),
      });
      await consumerProcess.next((m) => m.type === 'ready', 'ready');

      const request = tracing.provider.getTracer('http').startSpan('POST /jobs');
      const ids: string[] = [];
      for (let i = 0; i < COUNT; i++)
        ids.push(await context.with(trace.setSpan(context.active(), request), () => orchestrator!.publish(queue, { label: `j${i}` })));
      request.end();

      const reported = (await consumerProcess.next((m) => m.type === 'spans', 'its spans')).spans as ReportedSpan[];
      const sends = new Map(
        tracing
          .spans()
          .filter((span) => span.name === `send ${queue}`)
          .map((span) => [span.attributes['messaging.message.id'] as string, span]),
      );
      expect([...sends.keys()].sort()).toEqual([...ids].sort());
      const runs = reported.filter((span) => span.name === `process ${queue}`);
      expect(runs).toHaveLength(2 * COUNT);
      for (const id of ids) {
        const send = sends.get(id)!;
        const ofJob = runs.filter((run) => run.id === id).sort((a, b) => a.attempt - b.attempt);
        expect(ofJob.map(({ traceId, parent, attempt, error, system }) => ({ traceId, parent, attempt, error, system }))).toEqual([
          { traceId: request.spanContext().traceId, parent: send.spanContext().spanId, attempt: 1, error: true, system: kind },
          { traceId: request.spanContext().traceId, parent: send.spanContext().spanId, attempt: 2, error: false, system: kind },
        ]);
      }
    },
    HANG_GUARD_MS,
  );
});
