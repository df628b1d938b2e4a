import { SCENARIO_NAMES, type ScenarioName } from './scenarios/scenario-names';
import { SYSTEM_NAMES, type SystemName } from './systems/system-names';

/** Everything `npm run bench -- …` can set; the defaults finish in about five minutes on 2 cores. */
export interface BenchOptions {
  scenarios: ScenarioName[];
  systems: SystemName[];
  /** round trip: measured iterations, after `warmup` unmeasured ones. */
  roundTrips: number;
  warmup: number;
  /** publish ceiling: jobs published in batches, and jobs published one call at a time. */
  publishJobs: number;
  singleJobs: number;
  batchSize: number;
  /** consume ceiling: the preloaded backlog, drained once per concurrency. */
  backlog: number;
  concurrencies: number[];
  /** pipeline: jobs per run, consumer process counts, and per consumer process: concurrency. */
  pipelineJobs: number;
  processes: number[];
  pipelineConcurrency: number;
  /** pipeline: the producer keeps at most this many jobs published but not yet started. */
  window: number;
  /** pipeline: jobs per publish call of the producer. */
  pipelineBatch: number;
  payloadBytes: number;
  /** A case fails when no job starts for this long. */
  stallMs: number;
  redisUrl: string;
  amqpUrl: string;
  outDir: string;
  write: boolean;
  redisBenchmark: boolean;
  /** Directory for --cpu-prof profiles of pipeline consumer processes; null: none. */
  profileChildren: string | null;
}

export const DEFAULT_OPTIONS: BenchOptions = {
  scenarios: [...SCENARIO_NAMES],
  systems: [...SYSTEM_NAMES],
  roundTrips: 500,
  warmup: 50,
  publishJobs: 20_000,
  singleJobs: 5_000,
  batchSize: 250,
  backlog: 20_000,
  concurrencies: [1, 50],
  pipelineJobs: 20_000,
  processes: [1, 2, 4],
  pipelineConcurrency: 50,
  window: 1_000,
  pipelineBatch: 100,
  payloadBytes: 128,
  stallMs: 20_000,
  redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  amqpUrl: process.env.RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672',
  outDir: 'bench/results',
  write: true,
  redisBenchmark: true,
  profileChildren: null,
};

export const HELP = `npm run bench -- [options]

Benchmarks our LocalClient, RedisClient and RabbitMQClient (through Orchestrator + Consumer, payload
validation on) against BullMQ, raw ioredis and raw amqplib, on the same servers in one run.

  --scenarios <list>        ${SCENARIO_NAMES.join(',')}  (default: all)
  --systems <list>          ${SYSTEM_NAMES.join(',')}  (default: all)
  --quick                   every job count divided by 10 (a smoke run in well under a minute)

  round trip
    --round-trips <n>       measured publish → run-start round trips (default ${DEFAULT_OPTIONS.roundTrips}, after ${DEFAULT_OPTIONS.warmup} warm-up)
  publish ceiling
    --publish-jobs <n>      jobs published in batches (default ${DEFAULT_OPTIONS.publishJobs})
    --single-jobs <n>       jobs published one call at a time (default ${DEFAULT_OPTIONS.singleJobs})
    --batch-size <n>        jobs per batch (default ${DEFAULT_OPTIONS.batchSize})
  consume ceiling
    --backlog <n>           jobs preloaded before consumers start (default ${DEFAULT_OPTIONS.backlog})
    --concurrency <list>    consumer concurrencies, one drain each (default ${DEFAULT_OPTIONS.concurrencies.join(',')})
  pipeline
    --pipeline-jobs <n>     jobs per run (default ${DEFAULT_OPTIONS.pipelineJobs})
    --processes <list>      consumer process counts (default ${DEFAULT_OPTIONS.processes.join(',')})
    --pipeline-concurrency <n>  concurrency of each consumer process (default ${DEFAULT_OPTIONS.pipelineConcurrency})
    --window <n>            most jobs published but not yet started (default ${DEFAULT_OPTIONS.window})
    --pipeline-batch <n>    jobs per publish call of the producer (default ${DEFAULT_OPTIONS.pipelineBatch})
    --profile-children <dir>  write a --cpu-prof profile of every consumer process to <dir>

  --payload-bytes <n>       size of each job's JSON payload (default ${DEFAULT_OPTIONS.payloadBytes})
  --stall-timeout <s>       fail a case when no job starts for this long (default ${DEFAULT_OPTIONS.stallMs / 1000})
  --redis-url <url>         default $REDIS_URL or ${DEFAULT_OPTIONS.redisUrl}
  --amqp-url <url>          default $RABBITMQ_URL or ${DEFAULT_OPTIONS.amqpUrl}
  --out <dir>               results directory (default ${DEFAULT_OPTIONS.outDir})
  --no-write                print only; write no JSON or SVG
  --no-redis-benchmark      skip the redis-benchmark reference figures
  --help                    this text

Writes <out>/<timestamp>.json, <out>/latest.json and <out>/latest.svg. Exits 1 if any job was lost or
run twice, or any case failed.`;

/** Thrown for a command line we cannot run; main prints it with a pointer to --help. */
export class BenchUsageError extends Error {
  override readonly name = 'BenchUsageError';
}

/** Parses `--name value` / `--name=value`; null means --help was asked for. */
export function parseOptions(argv: readonly string[]): BenchOptions | null {
  const options: BenchOptions = { ...DEFAULT_OPTIONS, scenarios: [...DEFAULT_OPTIONS.scenarios], systems: [...DEFAULT_OPTIONS.systems] };
  let quick = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) throw new BenchUsageError(`unexpected argument "${arg}"`);
    const eq = arg.indexOf('=');
    const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
    const value = (): string => {
      if (eq >= 0) return arg.slice(eq + 1);
      const next = argv[++i];
      if (next === undefined) throw new BenchUsageError(`--${name} needs a value`);
      return next;
    };
    switch (name) {
      case 'help':
        return null;
      case 'quick':
        quick = true;
        break;
      case 'scenarios':
        options.scenarios = namesOf(name, value(), SCENARIO_NAMES);
        break;
      case 'systems':
        options.systems = namesOf(name, value(), SYSTEM_NAMES);
        break;
      case 'round-trips':
        options.roundTrips = count(name, value());
        break;
      case 'publish-jobs':
        options.publishJobs = count(name, value());
        break;
      case 'single-jobs':
        options.singleJobs = count(name, value());
        break;
      case 'batch-size':
        options.batchSize = count(name, value());
        break;
      case 'backlog':
        options.backlog = count(name, value());
        break;
      case 'concurrency':
        options.concurrencies = counts(name, value());
        break;
      case 'pipeline-jobs':
        options.pipelineJobs = count(name, value());
        break;
      case 'processes':
        options.processes = counts(name, value());
        break;
      case 'pipeline-concurrency':
        options.pipelineConcurrency = count(name, value());
        break;
      case 'window':
        options.window = count(name, value());
        break;
      case 'pipeline-batch':
        options.pipelineBatch = count(name, value());
        break;
      case 'payload-bytes':
        options.payloadBytes = count(name, value());
        break;
      case 'stall-timeout':
        options.stallMs = count(name, value()) * 1000;
        break;
      case 'redis-url':
        options.redisUrl = value();
        break;
      case 'amqp-url':
        options.amqpUrl = value();
        break;
      case 'out':
        options.outDir = value();
        break;
      case 'no-write':
        options.write = false;
        break;
      case 'no-redis-benchmark':
        options.redisBenchmark = false;
        break;
      case 'profile-children':
        options.profileChildren = value();
        break;
      default:
        throw new BenchUsageError(`unknown option --${name}`);
    }
  }
  if (quick) {
    for (const key of ['roundTrips', 'publishJobs', 'singleJobs', 'backlog', 'pipelineJobs'] as const)
      options[key] = Math.max(10, Math.ceil(options[key] / 10));
    options.warmup = Math.ceil(options.warmup / 10);
  }
  if (options.window < options.pipelineBatch)
    throw new BenchUsageError(`--window (${options.window}) must be at least --pipeline-batch (${options.pipelineBatch})`);
  return options;
}

function count(name: string, text: string): number {
  const value = Number(text.replace(/_/g, ''));
  if (!(Number.isInteger(value) && value > 0)) throw new BenchUsageError(`--${name} must be a positive whole number, got "${text}"`);
  return value;
}

function counts(name: string, text: string): number[] {
  return [...new Set(text.split(',').map((part) => count(name, part.trim())))];
}

function namesOf<T extends string>(name: string, text: string, known: readonly T[]): T[] {
  const picked = text
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);
  const unknown = picked.filter((part) => !(known as readonly string[]).includes(part));
  if (unknown.length > 0 || picked.length === 0)
    throw new BenchUsageError(`--${name}: unknown ${unknown.join(', ') || '(empty)'}; choose from ${known.join(', ')}`);
  // Keep the canonical order, so tables and charts always read the same way.
  return known.filter((k) => picked.includes(k));
}
