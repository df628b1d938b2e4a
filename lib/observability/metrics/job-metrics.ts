import type { Counter, Histogram, Registry } from 'prom-client';
import type { PublishItem } from '../../backend/job-backend.interface';
import type { JobRecord } from '../../backend/job-record';
import type { QueueStats } from '../../backend/job-state';
import { checkOptionKeys } from '../../backend/option-keys';
import { InvalidOptionError } from '../../errors';
import type { Orchestrator } from '../../orchestrator/orchestrator';
import type { JobInstrumentation } from '../job-instrumentation';
import { CachedQueueStats } from './cached-queue-stats';
import { loadPromClient } from './prom-client-package';

/** A prom-client Registry, typed loosely so this package's types do not need prom-client. */
export interface MetricsRegistry {
  metrics(): Promise<string>;
  readonly contentType: string;
}

export interface JobMetricsOptions {
  /** Where the metrics are registered. Default prom-client's global `register` (what @willsoto/nestjs-prometheus serves). */
  registry?: MetricsRegistry;
  /** Prefix of every metric name. Default `mindtrace_jobs_`. */
  prefix?: string;
  /** How long queue counts read for the gauges are reused. Default 5000 ms. */
  statsMaxAgeMs?: number;
  /** Histogram buckets of run and wait times, in seconds. Default prom-client's. */
  buckets?: number[];
}

const DEFAULT_STATS_MAX_AGE_MS = 5_000;
const GAUGES = ['waiting', 'active', 'delayed', 'dead'] as const;

/**
 * Prometheus metrics of the jobs an Orchestrator publishes and its consumers run: counters per queue,
 * run and wait-time histograms, and gauges of each queue's counts read from the backend when scraped.
 */
export class JobMetrics implements JobInstrumentation {
  readonly registry: MetricsRegistry;
  private readonly published: Counter<'queue'>;
  private readonly completed: Counter<'queue'>;
  private readonly failed: Counter<'queue'>;
  private readonly retried: Counter<'queue'>;
  private readonly deadLettered: Counter<'queue'>;
  private readonly redrivenCount: Counter<'queue'>;
  private readonly progressed: Counter<'queue'>;
  private readonly runDuration: Histogram<'queue' | 'outcome'>;
  private readonly waitTime: Histogram<'queue'>;
  /** When each running job's run started (performance.now()); weak, since a released or lost run never ends here. */
  private readonly runStarts = new WeakMap<JobRecord, number>();
  private stats: CachedQueueStats | null = null;
  private readonly statsMaxAgeMs: number;

  constructor(options: JobMetricsOptions = {}) {
    checkOptionKeys('new JobMetrics', '', options, ['registry', 'prefix', 'statsMaxAgeMs', 'buckets']);
    const prom = loadPromClient('JobMetrics');
    const {
      registry = prom.register as MetricsRegistry,
      prefix = 'mindtrace_jobs_',
      statsMaxAgeMs = DEFAULT_STATS_MAX_AGE_MS,
      buckets,
    } = options;
    if (!(typeof statsMaxAgeMs === 'number' && statsMaxAgeMs >= 0)) {
      throw new InvalidOptionError(
        'new JobMetrics',
        'statsMaxAgeMs',
        `must be a number of milliseconds >= 0, got ${String(statsMaxAgeMs)}`,
      );
    }
    this.registry = registry;
    this.statsMaxAgeMs = statsMaxAgeMs;
    const registers = [registry as Registry];
    const counter = (name: string, help: string) =>
      new prom.Counter({ name: prefix + name, help, labelNames: ['queue'] as const, registers });
    this.published = counter('published_total', 'Jobs published, per queue.');
    this.completed = counter('completed_total', 'Runs that completed their job, per queue.');
    this.failed = counter('failed_total', 'Failed attempts (each is retried or dead-lettered), per queue.');
    this.retried = counter('retried_total', 'Failed attempts put back for a retry, per queue.');
    this.deadLettered = counter('dead_lettered_total', 'Jobs moved to the dead-letter queue, per queue.');
    this.redrivenCount = counter('redriven_total', 'Dead letters put back on their queue by redrive, per queue.');
    this.progressed = counter('progress_total', 'Progress reports of runs (context.progress), per queue.');
    this.runDuration = new prom.Histogram({
      name: `${prefix}run_duration_seconds`,
      help: 'How long runs took, from start to completed or failed, per queue and outcome.',
      labelNames: ['queue', 'outcome'] as const,
      registers,
      ...(buckets ? { buckets } : {}),
    });
    this.waitTime = new prom.Histogram({
      name: `${prefix}wait_seconds`,
      help: "How long jobs waited for their first run, from publish (or when a delayed job fell due) to the run's start, per queue.",
      labelNames: ['queue'] as const,
      registers,
      ...(buckets ? { buckets } : {}),
    });
    // Prometheus calls collect() with the gauge as `this`; the counts come from this instance.
    const readStats = () => this.queueStats();
    for (const field of GAUGES) {
      new prom.Gauge({
        name: `${prefix}${field}`,
        help: `Jobs ${field === 'dead' ? 'in the dead-letter queue' : field} per queue, read from the backend when scraped (cached for statsMaxAgeMs).`,
        labelNames: ['queue'] as const,
        registers,
        async collect() {
          this.reset();
          for (const [queue, counts] of await readStats()) this.set({ queue }, counts[field]);
        },
      });
    }
  }

  /** How many times the gauges read queue counts from the backend. */
  get statsReads(): number {
    return this.stats?.reads ?? 0;
  }

  attach(orchestrator: Orchestrator): void {
    this.stats = new CachedQueueStats(async () => {
      const queues = orchestrator.knownQueues;
      const counts = await Promise.all(queues.map((queue) => orchestrator.backend.queueStats(queue)));
      return new Map(queues.map((queue, index) => [queue, counts[index]]));
    }, this.statsMaxAgeMs);
    const { events } = orchestrator;
    events.on('active', ({ queue, job }) => {
      this.runStarts.set(job, performance.now());
      if (job.attempt === 1) this.waitTime.observe({ queue }, Math.max(0, Date.now() - Date.parse(job.dueAt ?? job.createdAt)) / 1000);
    });
    events.on('completed', ({ queue, job }) => {
      this.completed.inc({ queue });
      this.runEnded(queue, job, 'completed');
    });
    events.on('failed', ({ queue, job }) => {
      this.failed.inc({ queue });
      this.runEnded(queue, job, 'failed');
    });
    events.on('retrying', ({ queue }) => this.retried.inc({ queue }));
    events.on('dead', ({ queue }) => this.deadLettered.inc({ queue }));
    events.on('progress', ({ queue }) => this.progressed.inc({ queue }));
  }

  publishing(queue: string, items: readonly PublishItem[]): (error?: unknown, duplicate?: boolean) => void {
    return (error, duplicate) => {
      // A deduplicated publish whose key was held enqueued nothing.
      if (error === undefined && !duplicate) this.published.inc({ queue }, items.length);
    };
  }

  redriven(queue: string, count: number): void {
    this.redrivenCount.inc({ queue }, count);
  }

  private runEnded(queue: string, job: JobRecord, outcome: 'completed' | 'failed'): void {
    const started = this.runStarts.get(job);
    // A job failed before it ran (stalled too often) was never started.
    if (started === undefined) return;
    this.runStarts.delete(job);
    this.runDuration.observe({ queue, outcome }, (performance.now() - started) / 1000);
  }

  private queueStats(): Promise<Map<string, QueueStats>> {
    return this.stats ? this.stats.get() : Promise.resolve(new Map());
  }
}
