import { randomBytes } from 'node:crypto';
import amqp from 'amqplib';
import type { BenchOptions } from './bench.options';
import { CpuMeter } from './cpu-meter';
import { paddingFor } from './bench-job';
import { describeMachine, runRedisBenchmark, type MachineInfo, type RedisBenchmarkFigure } from './machine';
import type { ProgressLine } from './progress-line';
import { describeSource, type SourceVersion } from './source';
import { formatMs, formatRate } from './report/number-format';
import { renderScenarioTable } from './report/scenario-table.report';
import { SCENARIOS, type CaseEnv, type Measurement } from './scenarios';
import { loadSystem, type BenchContext, type BenchSystem, type SystemName } from './systems';
import { deleteKeysByPrefix, quickRedis } from './systems/servers';

/** Systems whose queues live in RabbitMQ: their queue names are remembered for the final cleanup. */
const AMQP_SYSTEMS: readonly SystemName[] = ['rabbitmq', 'raw-amqplib'];

export interface SystemEntry {
  name: SystemName;
  description: string;
  notes: readonly string[];
  available: boolean;
  /** Why it is not available. */
  reason?: string;
}

/** Everything one run produced: what the JSON holds and the reports are made from. */
export interface BenchRun {
  runId: string;
  startedAt: Date;
  finishedAt: Date;
  options: BenchOptions;
  machine: MachineInfo;
  source: SourceVersion;
  redisBenchmark: RedisBenchmarkFigure[] | null;
  systems: SystemEntry[];
  measurements: Measurement[];
}

/**
 * Runs every selected scenario on every selected system, scenario by scenario (so each table prints as
 * soon as it is complete), one fresh queue per case, and cleans up everything the run created.
 */
export class BenchRunner {
  readonly runId = randomBytes(4).toString('hex');
  readonly context: BenchContext;
  private readonly amqpQueues = new Set<string>();
  private queueCount = 0;
  private cpu = new CpuMeter(null);

  constructor(
    private readonly options: BenchOptions,
    private readonly progress: ProgressLine,
  ) {
    this.context = { runId: this.runId, redisUrl: options.redisUrl, amqpUrl: options.amqpUrl };
  }

  async run(): Promise<BenchRun> {
    const startedAt = new Date();
    const { options, progress } = this;
    progress.update('looking at the machine and the servers…', true);
    const machine = await describeMachine(options.redisUrl, options.amqpUrl);
    const source = describeSource();
    progress.log(`machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGb} GB, ${machine.os}, Node ${machine.node}`);
    progress.log(
      `servers: ${machine.redis ?? 'Redis not answering'}; ${machine.rabbitmq ?? 'RabbitMQ not answering'}   (run ${this.runId})`,
    );
    progress.log(
      `code: commit ${source.commit ?? '?'}${source.libChanges.length > 0 ? ` + uncommitted changes in ${source.libChanges.join(', ')}` : ', lib/ as committed'}`,
    );
    if (machine.cpuBusyAtStartPercent !== null && machine.cpuBusyAtStartPercent > 15) {
      progress.log(
        `warning: the CPU was ${machine.cpuBusyAtStartPercent}% busy before the run started — something else is running; the numbers will be lower and noisier`,
      );
    }

    const systems = await this.loadSystems();
    for (const entry of systems.values()) {
      progress.log(
        `  ${entry.entry.name.padEnd(12)} ${entry.entry.available ? entry.entry.description : `NOT AVAILABLE: ${entry.entry.reason}`}`,
      );
    }

    let redisBenchmark: RedisBenchmarkFigure[] | null = null;
    if (options.redisBenchmark && machine.redis) {
      progress.update('redis-benchmark: LPUSH and RPOP, 50 clients…', true);
      redisBenchmark = await runRedisBenchmark(options.redisUrl, `bench-${this.runId}-redis-benchmark`, 100_000);
      if (redisBenchmark)
        progress.log(
          `redis-benchmark (50 clients, no pipelining): ${redisBenchmark.map((f) => `${f.command} ${formatRate(f.requestsPerSec)}/s`).join(', ')}`,
        );
    }

    const measurements: Measurement[] = [];
    const statsRedis = quickRedis(options.redisUrl);
    this.cpu = new CpuMeter(machine.redis ? statsRedis : null);
    if (machine.redis) await statsRedis.connect().catch(() => (this.cpu = new CpuMeter(null)));
    try {
      for (const scenarioName of options.scenarios) {
        const scenario = SCENARIOS[scenarioName];
        progress.log('');
        progress.log(`== ${scenario.title}`);
        for (const { system, entry } of systems.values()) {
          for (const scenarioCase of scenario.cases(system, options)) {
            const base = { scenario: scenarioName, case: scenarioCase.case, system: entry.name };
            const label = `${entry.name} · ${scenarioName} ${scenarioCase.case}`;
            if (!entry.available) {
              measurements.push({ ...base, status: 'not available', detail: entry.reason });
              continue;
            }
            if (scenarioCase.skip) {
              measurements.push({ ...base, status: 'n/a', detail: scenarioCase.skip });
              continue;
            }
            progress.update(`${label}: starting`, true);
            try {
              const result = await scenarioCase.run(this.caseEnv(system, label, scenarioName));
              measurements.push({ ...base, status: 'ok', ...result });
              progress.log(`  ${label}: ${summarize(result)}`);
            } catch (err) {
              const detail = (err as Error).message;
              measurements.push({ ...base, status: 'failed', detail });
              progress.log(`  ${label}: FAILED — ${detail}`);
            }
          }
        }
        progress.log('');
        progress.log(renderScenarioTable(scenario, options, measurements));
      }
    } finally {
      statsRedis.disconnect();
      await this.cleanUp();
    }
    return {
      runId: this.runId,
      startedAt,
      finishedAt: new Date(),
      options,
      machine,
      source,
      redisBenchmark,
      systems: [...systems.values()].map((s) => s.entry),
      measurements,
    };
  }

  /** Deletes whatever a failed or interrupted case may have left: every key of this run, every queue it named. */
  async cleanUp(): Promise<void> {
    const redis = quickRedis(this.options.redisUrl);
    try {
      await redis.connect();
      await deleteKeysByPrefix(redis, `bench-${this.runId}`);
    } catch {
      // Redis is not there: then nothing of ours is either.
    } finally {
      redis.disconnect();
    }
    if (this.amqpQueues.size === 0) return;
    try {
      const connection = await amqp.connect(this.options.amqpUrl, { timeout: 3000 });
      try {
        for (const queue of this.amqpQueues) {
          // A channel per delete: deleting fails the channel on some broker versions when the queue is gone.
          const channel = await connection.createChannel();
          channel.on('error', () => undefined);
          await channel.deleteQueue(queue).catch(() => undefined);
          await channel.close().catch(() => undefined);
        }
      } finally {
        await connection.close().catch(() => undefined);
      }
    } catch {
      // RabbitMQ is not there.
    }
  }

  private async loadSystems(): Promise<Map<SystemName, { system: BenchSystem; entry: SystemEntry }>> {
    const out = new Map<SystemName, { system: BenchSystem; entry: SystemEntry }>();
    for (const name of this.options.systems) {
      this.progress.update(`checking ${name}…`, true);
      const system = await loadSystem(name);
      const reason = await system.probe(this.context).catch((err: Error) => err.message);
      out.set(name, {
        system,
        entry: {
          name,
          description: system.description,
          notes: system.notes,
          available: reason === null,
          ...(reason === null ? {} : { reason }),
        },
      });
    }
    return out;
  }

  private caseEnv(system: BenchSystem, label: string, scenario: string): CaseEnv {
    return {
      system,
      options: this.options,
      context: this.context,
      progress: this.progress,
      cpu: this.cpu,
      padding: paddingFor(this.options.payloadBytes),
      label,
      queueName: () => {
        const name = `bench-${this.runId}-${system.name}-${scenario}-${++this.queueCount}`;
        if (AMQP_SYSTEMS.includes(system.name)) this.amqpQueues.add(name);
        return name;
      },
    };
  }
}

function summarize(result: { jobs?: number; seconds?: number; jobsPerSec?: number; latencyMs?: { p50: number; p99: number } }): string {
  const parts: string[] = [];
  if (result.jobsPerSec !== undefined) parts.push(`${formatRate(result.jobsPerSec)} jobs/s`);
  if (result.latencyMs) parts.push(`p50 ${formatMs(result.latencyMs.p50)} ms, p99 ${formatMs(result.latencyMs.p99)} ms`);
  if (result.jobs !== undefined && result.seconds !== undefined)
    parts.push(`(${result.jobs.toLocaleString('en-US')} jobs in ${result.seconds.toFixed(2)} s, each ran once)`);
  return parts.join(', ');
}
