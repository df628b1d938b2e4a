import { makeJobs } from '../bench-job';
import { nowMs } from '../clock';
import { JobTracker } from '../job-tracker';
import type { BenchQueue } from '../systems/bench-system.interface';
import { drainAndCheck, ofTotal, withQueue } from './case-env';
import type { CaseEnv, Scenario, ScenarioCase } from './scenario.interface';

/** Concurrency of the untimed drain that checks every published job is there, once. */
const CHECK_CONCURRENCY = 50;

/**
 * Publish ceiling: one producer, one publish call at a time (each awaited until the system holds the
 * jobs), either `batchSize` jobs per call or one. Timed from the first call to the last reply; then,
 * untimed, every job is consumed once to prove none was lost or doubled.
 */
export const publishScenario: Scenario = {
  name: 'publish',
  title: 'Publish ceiling: jobs/s, one publish call at a time',
  describe: (o) =>
    `${o.publishJobs} jobs in batches of ${o.batchSize}, and ${o.singleJobs} single publishes; each call awaited before the next; every job then consumed once (untimed) to check`,
  columns: (o) => [
    { header: `batches of ${o.batchSize} jobs/s`, case: batchCase(o.batchSize), metric: 'jobsPerSec' },
    { header: 'single jobs/s', case: 'single', metric: 'jobsPerSec' },
  ],
  cases: (_system, o) => [publishCase(batchCase(o.batchSize), o.publishJobs, o.batchSize), publishCase('single', o.singleJobs, 1)],
};

function batchCase(batchSize: number): string {
  return `batch ${batchSize}`;
}

function publishCase(name: string, jobs: number, batchSize: number): ScenarioCase {
  return {
    case: name,
    run: (env) =>
      withQueue(env, async (queue) => {
        const tracker = new JobTracker(jobs);
        const cpuFrom = await env.cpu.start();
        const start = nowMs();
        await publishAll(env, queue, jobs, batchSize);
        const seconds = (nowMs() - start) / 1000;
        const cpuMs = await env.cpu.stop(cpuFrom);
        await drainAndCheck(env, queue, tracker, CHECK_CONCURRENCY);
        return { jobs, seconds, jobsPerSec: jobs / seconds, cpuMs };
      }),
  };
}

/** Publishes jobs 0…count−1, `batchSize` per awaited call (one at a time when 1). */
export async function publishAll(env: CaseEnv, queue: BenchQueue, count: number, batchSize: number, what = 'publishing'): Promise<void> {
  let lastShown = 0;
  for (let from = 0; from < count; from += batchSize) {
    const jobs = makeJobs(from, Math.min(batchSize, count - from), nowMs(), env.padding);
    if (jobs.length === 1) await queue.publish(jobs[0]);
    else await queue.publishBatch(jobs);
    if (from - lastShown >= 1000 || from === 0) {
      lastShown = from;
      env.progress.update(`${env.label}: ${what} ${ofTotal(from + jobs.length, count)}`);
    }
  }
}
