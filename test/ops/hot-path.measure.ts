/**
 * The cost of the observability hooks on the hot path, on the embedded backend (no broker noise):
 * CPU microseconds per job (this process's user + system time, so other processes on a busy machine
 * count far less than in wall time) and jobs/s, of publish (one call per job) and of consume (serial
 * and concurrency 16). Not a test (it asserts nothing). Compare trees by pointing MT_ROOT at each (e.g. a worktree without the hooks):
 *
 *   MT_ROOT=/path/to/tree npx ts-node --transpile-only test/ops/hot-path.measure.ts
 *   MT_INSTRUMENT=1 …   also gives the orchestrator JobTracing (no SDK registered) and JobMetrics
 *
 * It prints one JSON line: the median of ROUNDS rounds for each figure.
 */
import 'reflect-metadata';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

const JOBS = 20_000;
const ROUNDS = 5;
const root = process.env.MT_ROOT ?? join(__dirname, '..', '..');

const lib = require(join(root, 'lib')) as typeof import('../../lib');

const fixtures = require(join(root, 'test/conformance/conformance.fixtures')) as typeof import('../conformance/conformance.fixtures');

function instrumentation(): object[] {
  if (process.env.MT_INSTRUMENT !== '1') return [];

  const { Registry } = require('prom-client') as typeof import('prom-client');
  return [new lib.JobTracing(), new lib.JobMetrics({ registry: new Registry() })];
}

interface Round {
  publish: number;
  consume: number;
  publishCpuUs: number;
  consumeCpuUs: number;
}

/** CPU time this process used since `from`, in microseconds. */
function cpuSince(from: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(from);
  return used.user + used.system;
}

async function round(concurrency: number): Promise<Round> {
  const options = process.env.MT_INSTRUMENT === '1' ? { instrumentation: instrumentation() } : {};
  const orchestrator = new lib.Orchestrator(new lib.LocalClient(), options as never);
  const queue = `hot-${concurrency}`;
  await orchestrator.register(fixtures.taskSchema(queue));
  let start = performance.now();
  let cpu = process.cpuUsage();
  for (let i = 0; i < JOBS; i++) await orchestrator.publish(queue, { label: 'x' });
  const publishCpuUs = cpuSince(cpu) / JOBS;
  const publish = JOBS / ((performance.now() - start) / 1000);
  const consumer = new fixtures.FnConsumer(queue, () => undefined, { concurrency });
  consumer.connect(orchestrator);
  start = performance.now();
  cpu = process.cpuUsage();
  await consumer.consume(JOBS);
  const consumeCpuUs = cpuSince(cpu) / JOBS;
  const consume = JOBS / ((performance.now() - start) / 1000);
  await orchestrator.close();
  return { publish, consume, publishCpuUs, consumeCpuUs };
}

function median(values: number[], digits = 0): number {
  const sorted = [...values].sort((a, b) => a - b);
  return Number(sorted[Math.floor(sorted.length / 2)].toFixed(digits));
}

async function main(): Promise<void> {
  lib.useJobsLogger(false);
  await round(1); // warm-up: JIT and caches
  const serial: Round[] = [];
  const concurrent: Round[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    serial.push(await round(1));
    concurrent.push(await round(16));
  }
  process.stdout.write(
    `${JSON.stringify({
      root,
      instrumented: process.env.MT_INSTRUMENT === '1',
      publishPerSec: median([...serial, ...concurrent].map((r) => r.publish)),
      consumeSerialPerSec: median(serial.map((r) => r.consume)),
      consumeConcurrency16PerSec: median(concurrent.map((r) => r.consume)),
      publishCpuUsPerJob: median(
        [...serial, ...concurrent].map((r) => r.publishCpuUs),
        2,
      ),
      consumeSerialCpuUsPerJob: median(
        serial.map((r) => r.consumeCpuUs),
        2,
      ),
      consumeConcurrency16CpuUsPerJob: median(
        concurrent.map((r) => r.consumeCpuUs),
        2,
      ),
    })}\n`,
  );
}

void main();
