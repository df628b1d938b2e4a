import 'reflect-metadata';
import { Registry } from 'prom-client';
import { JobMetrics, LocalClient, Orchestrator, RedisClient, type JobBackend } from '../../lib';
import { FnConsumer, taskSchema } from '../conformance/conformance.fixtures';
import { REDIS_URL, requireServer } from '../support/servers';
import { adminConnection, deleteKeysUnder, uniquePrefix } from '../redis/fixtures/redis-test-kit';

/** The value of a metric's sample with these labels (`suffix` picks a histogram's _count or _sum). */
async function valueOf(registry: Registry, name: string, labels: Record<string, string>, suffix = ''): Promise<number | undefined> {
  const metric = registry.getSingleMetric(name);
  if (!metric) throw new Error(`no metric ${name} in the registry`);
  const { values } = await metric.get();
  const sample = values.find(
    (v) =>
      (!suffix || (v as { metricName?: string }).metricName === name + suffix) &&
      Object.entries(labels).every(([key, label]) => v.labels[key] === label),
  );
  return sample?.value;
}

describe('JobMetrics', () => {
  const orchestrators: Orchestrator[] = [];
  afterEach(async () => Promise.all(orchestrators.splice(0).map((o) => o.close())));

  function measured(backend: JobBackend, statsMaxAgeMs?: number) {
    const registry = new Registry();
    const metrics = new JobMetrics({ registry, statsMaxAgeMs });
    const orchestrator = new Orchestrator(backend, { instrumentation: [metrics] });
    orchestrators.push(orchestrator);
    return { registry, metrics, orchestrator };
  }

  it('counts publishes, completions, failed attempts, retries, dead letters and redrives per queue, and times runs and waits', async () => {
    const { registry, orchestrator } = measured(new LocalClient());
    const queue = 'detections';
    await orchestrator.register(taskSchema(queue));
    await orchestrator.publishBatch(queue, [{ label: 'ok-1' }, { label: 'ok-2' }, { label: 'bad' }]);
    await orchestrator.publish(queue, { label: 'ok-3' });
    await orchestrator.publish(queue, { label: 'ok-4' });
    const consumer = new FnConsumer(
      queue,
      (job) => {
        if (job.payload.label === 'bad') throw new Error('unreadable image');
      },
      { attempts: 2, backoff: { type: 'fixed', delay: 1 } },
    );
    consumer.connect(orchestrator);
    expect(await consumer.consume(6)).toBe(6);
    expect(await orchestrator.redrive(queue)).toBe(1);

    const counts = Object.fromEntries(
      await Promise.all(
        ['published', 'completed', 'failed', 'retried', 'dead_lettered', 'redriven'].map(async (name) => [
          name,
          await valueOf(registry, `mindtrace_jobs_${name}_total`, { queue }),
        ]),
      ),
    );
    expect(counts).toEqual({ published: 5, completed: 4, failed: 2, retried: 1, dead_lettered: 1, redriven: 1 });
    expect(await valueOf(registry, 'mindtrace_jobs_run_duration_seconds', { queue, outcome: 'completed' }, '_count')).toBe(4);
    expect(await valueOf(registry, 'mindtrace_jobs_run_duration_seconds', { queue, outcome: 'failed' }, '_count')).toBe(2);
    // First runs only: the retry's wait is its backoff, chosen by the consumer.
    expect(await valueOf(registry, 'mindtrace_jobs_wait_seconds', { queue }, '_count')).toBe(5);
  });

  it("gauges read the queue's counts from the backend when scraped", async () => {
    const { registry, orchestrator } = measured(new LocalClient(), 0);
    const queue = 'gauged';
    await orchestrator.register(taskSchema(queue));
    await orchestrator.publishBatch(queue, [{ label: 'a' }, { label: 'b' }]);
    await orchestrator.publish(queue, { label: 'later' }, { delay: 60_000 });
    const text = await registry.metrics();
    expect(text).toContain(`mindtrace_jobs_waiting{queue="${queue}"} 2`);
    expect(text).toContain(`mindtrace_jobs_delayed{queue="${queue}"} 1`);
    expect(text).toContain(`mindtrace_jobs_active{queue="${queue}"} 0`);
    expect(text).toContain(`mindtrace_jobs_dead{queue="${queue}"} 0`);
  });

  it('a scrape storm reads the backend once per statsMaxAgeMs, not once per scrape', async () => {
    const { registry, metrics, orchestrator } = measured(new LocalClient(), 60_000);
    await orchestrator.register(taskSchema('stormed'));
    await orchestrator.publish('stormed', { label: 'a' });
    const scrapes = await Promise.all(Array.from({ length: 20 }, () => registry.metrics()));
    expect(scrapes.every((text) => text.includes('mindtrace_jobs_waiting{queue="stormed"} 1'))).toBe(true);
    expect(metrics.statsReads).toBe(1);
  });

  it("without a prom-client registry given, it registers in prom-client's global one", async () => {
    const prom = await import('prom-client');
    const metrics = new JobMetrics({ prefix: 'mindtrace_jobs_global_test_' });
    try {
      expect(metrics.registry).toBe(prom.register);
      expect(prom.register.getSingleMetric('mindtrace_jobs_global_test_published_total')).toBeDefined();
    } finally {
      prom.register.clear();
    }
  });

  describe('on Redis', () => {
    const prefix = uniquePrefix();
    beforeAll(() => requireServer('redis'));
    afterAll(async () => {
      const admin = adminConnection();
      await deleteKeysUnder(admin, prefix);
      admin.disconnect();
    });

    it('gauges show waiting, delayed and dead jobs as Redis holds them', async () => {
      const { registry, orchestrator } = measured(new RedisClient(REDIS_URL, { prefix }), 0);
      const queue = 'redis-gauged';
      await orchestrator.register(taskSchema(queue));
      await orchestrator.publishBatch(queue, [{ label: 'a' }, { label: 'b' }, { label: 'dies' }]);
      await orchestrator.publish(queue, { label: 'later' }, { delay: 60_000 });
      const consumer = new FnConsumer(
        queue,
        (job) => {
          if (job.payload.label === 'dies') throw new Error('no');
        },
        { attempts: 1 },
      );
      consumer.connect(orchestrator);
      expect(await consumer.consume(3)).toBe(3);
      await orchestrator.publish(queue, { label: 'c' });
      const text = await registry.metrics();
      expect(text).toContain(`mindtrace_jobs_waiting{queue="${queue}"} 1`);
      expect(text).toContain(`mindtrace_jobs_delayed{queue="${queue}"} 1`);
      expect(text).toContain(`mindtrace_jobs_dead{queue="${queue}"} 1`);
      expect(text).toContain(`mindtrace_jobs_completed_total{queue="${queue}"} 2`);
    });
  });
});
