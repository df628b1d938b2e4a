import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { makeJobs } from '../bench-job';
import { nowMs } from '../clock';
import { JobTracker } from '../job-tracker';
import { summarizeLatency } from '../latency';
import type { BenchQueue } from '../systems/bench-system.interface';
import { ofTotal, trackedHandlers, withQueue } from './case-env';
import type { CaseResult } from './measurement';
import type { ConsumerProcessMessage, ConsumerProcessSpec } from './pipeline-consumer.process';
import type { CaseEnv, Scenario, ScenarioCase } from './scenario.interface';

/** A consumer process gets this long to load (ts-node) and connect. */
const STARTUP_TIMEOUT_MS = 60_000;
/** …and this long to drain and exit when asked. */
const SHUTDOWN_TIMEOUT_MS = 30_000;

/**
 * Pipeline: one producer (this process) and 1, 2, 4 consumer processes at once. The producer publishes
 * in batches while keeping at most `window` jobs published but not yet started, so the queue stays short
 * and latency means something; consumer processes report each run start back. Timed from the first
 * publish to the last run start. A backend that lives in one process (Local) runs its consumer in the
 * producer's process, once.
 */
export const pipelineScenario: Scenario = {
  name: 'pipeline',
  title: 'Pipeline: 1 producer and N consumer processes at once, end to end',
  describe: (o) =>
    `${o.pipelineJobs} jobs per run, published in batches of ${o.pipelineBatch} with at most ${o.window} waiting; each consumer process has concurrency ${o.pipelineConcurrency}; latency = publish call → run start`,
  columns: (o) =>
    o.processes.flatMap((p) => [
      { header: `${p}p jobs/s`, case: processCase(p), metric: 'jobsPerSec' as const },
      { header: `${p}p p50 ms`, case: processCase(p), metric: 'p50' as const },
      { header: `${p}p p99 ms`, case: processCase(p), metric: 'p99' as const },
    ]),
  cases: (system, o) =>
    o.processes.map((processes, index): ScenarioCase => {
      if (!system.multiProcess) {
        if (index > 0)
          return { case: processCase(processes), skip: 'in-process backend: measured once, in the producer process', run: never };
        return { case: processCase(processes), run: (env) => runInProcess(env) };
      }
      return { case: processCase(processes), run: (env) => runWithProcesses(env, processes) };
    }),
};

function processCase(processes: number): string {
  return `${processes} ${processes === 1 ? 'process' : 'processes'}`;
}

function never(): Promise<CaseResult> {
  return Promise.reject(new Error('skipped case was run'));
}

function runInProcess(env: CaseEnv): Promise<CaseResult> {
  return withQueue(env, async (queue) => {
    const tracker = new JobTracker(env.options.pipelineJobs);
    const consumers = await queue.consume(env.options.pipelineConcurrency, trackedHandlers(tracker));
    let result: CaseResult;
    try {
      const cpuFrom = await env.cpu.start();
      result = await produce(env, queue, tracker);
      result.cpuMs = await env.cpu.stop(cpuFrom);
    } finally {
      await consumers.drain();
    }
    tracker.check();
    return result;
  });
}

function runWithProcesses(env: CaseEnv, processes: number): Promise<CaseResult> {
  return withQueue(env, async (queue, queueName) => {
    const tracker = new JobTracker(env.options.pipelineJobs);
    const spec: ConsumerProcessSpec = {
      system: env.system.name,
      queue: queueName,
      context: env.context,
      concurrency: env.options.pipelineConcurrency,
    };
    env.progress.update(`${env.label}: starting ${processes} consumer process(es)`, true);
    const children = await startConsumers(env, spec, processes, tracker);
    let result: CaseResult;
    let childrenCpuMs = 0;
    try {
      const cpuFrom = await env.cpu.start();
      result = await produce(env, queue, tracker);
      result.cpuMs = await env.cpu.stop(cpuFrom);
    } finally {
      for (const cpuMs of await Promise.all(children.map((child) => child.stop()))) childrenCpuMs += cpuMs;
    }
    // After the processes drained: a late duplicate would have been reported by now.
    tracker.check();
    if (result.cpuMs) result.cpuMs.client += childrenCpuMs;
    return result;
  });
}

/** Publishes all jobs, keeping at most `window` published but not started, then waits for the last to start. */
async function produce(env: CaseEnv, queue: BenchQueue, tracker: JobTracker): Promise<CaseResult> {
  const { pipelineJobs: total, pipelineBatch: batch, window, stallMs } = env.options;
  const show = (): void =>
    env.progress.update(`${env.label}: ${ofTotal(tracker.ranCount, total)} run, ${ofTotal(published, total)} published`);
  let published = 0;
  let lastShown = 0;
  const start = nowMs();
  while (published < total) {
    const size = Math.min(batch, total - published);
    const room = window - (published - tracker.ranCount);
    if (room < size) {
      await tracker.until(published + size - window, stallMs);
      continue;
    }
    const jobs = makeJobs(published, size, nowMs(), env.padding);
    if (size === 1) await queue.publish(jobs[0]);
    else await queue.publishBatch(jobs);
    published += size;
    if (published - lastShown >= 2000) {
      lastShown = published;
      show();
    }
  }
  await tracker.untilAllRan(stallMs, show);
  const seconds = (tracker.lastRunAt - start) / 1000;
  return { jobs: total, seconds, jobsPerSec: total / seconds, latencyMs: summarizeLatency(tracker.latencies()) };
}

interface ConsumerProcess {
  /** Drains and ends the process; resolves with the CPU it used while consuming (ms). */
  stop(): Promise<number>;
}

/** Forks the consumer processes and resolves once every one is taking jobs. */
async function startConsumers(env: CaseEnv, spec: ConsumerProcessSpec, count: number, tracker: JobTracker): Promise<ConsumerProcess[]> {
  const execArgv = ['-r', require.resolve('ts-node/register/transpile-only')];
  if (env.options.profileChildren) {
    const dir = resolve(env.options.profileChildren);
    mkdirSync(dir, { recursive: true });
    execArgv.push('--cpu-prof', `--cpu-prof-dir=${dir}`, `--cpu-prof-name=${spec.system}-${count}p-${Date.now()}-\${pid}.cpuprofile`);
  }
  const started = Array.from({ length: count }, (_, index) =>
    startConsumer(join(__dirname, 'pipeline-consumer.process.ts'), execArgv, spec, index, tracker),
  );
  const settled = await Promise.allSettled(started);
  const failed = settled.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  const ok = settled.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  if (failed) {
    await Promise.all(ok.map((child) => child.stop()));
    throw failed.reason;
  }
  return ok;
}

function startConsumer(
  script: string,
  execArgv: string[],
  spec: ConsumerProcessSpec,
  index: number,
  tracker: JobTracker,
): Promise<ConsumerProcess> {
  const name = `consumer process ${index + 1} (${spec.system})`;
  const child: ChildProcess = fork(script, [JSON.stringify(spec)], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let exited = false;
  let stopping = false;
  let drained = false;
  let cpuMs = 0;
  const exit = new Promise<void>((resolveExit) =>
    child.once('exit', (code, signal) => {
      exited = true;
      const how = signal ?? `code ${code}`;
      if (!stopping) tracker.fail(new Error(`${name} exited (${how}) before it was told to stop`));
      else if (!drained) tracker.fail(new Error(`${name} exited (${how}) without draining`));
      resolveExit();
    }),
  );
  child.on('message', (message: ConsumerProcessMessage) => {
    if (message.type === 'ran') {
      const runs = message.runs;
      for (let i = 0; i < runs.length; i += 3) tracker.ran(runs[i], runs[i + 1], runs[i + 2]);
    } else if (message.type === 'error') {
      tracker.fail(new Error(`${name}: ${message.message}`));
    } else if (message.type === 'drained') {
      drained = true;
      cpuMs = message.cpuMs;
    }
  });
  const stop = async (): Promise<number> => {
    if (exited) return cpuMs;
    stopping = true;
    child.send({ type: 'drain' });
    const timer = setTimeout(() => child.kill('SIGKILL'), SHUTDOWN_TIMEOUT_MS);
    await exit;
    clearTimeout(timer);
    return cpuMs;
  };
  return new Promise<ConsumerProcess>((resolveReady, rejectReady) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      rejectReady(new Error(`${name} did not start within ${STARTUP_TIMEOUT_MS / 1000} s`));
    }, STARTUP_TIMEOUT_MS);
    const onMessage = (message: ConsumerProcessMessage): void => {
      if (message.type === 'ready') {
        clearTimeout(timer);
        child.off('message', onMessage);
        resolveReady({ stop });
      } else if (message.type === 'error') {
        clearTimeout(timer);
        child.kill('SIGKILL');
        rejectReady(new Error(`${name} could not start: ${message.message}`));
      }
    };
    child.on('message', onMessage);
    void exit.then(() => {
      clearTimeout(timer);
      rejectReady(new Error(`${name} exited while starting`));
    });
  });
}
