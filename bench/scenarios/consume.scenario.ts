import { JobTracker } from '../job-tracker';
import { ofTotal, trackedHandlers, withQueue } from './case-env';
import { publishAll } from './publish.scenario';
import type { Scenario, ScenarioCase } from './scenario.interface';

/**
 * Consume ceiling: a preloaded backlog drained by one consumer (in the producer's process) with each
 * concurrency. Timed from the first run start to the last, so connecting the consumer is not counted.
 */
export const consumeScenario: Scenario = {
  name: 'consume',
  title: 'Consume ceiling: jobs/s draining a preloaded backlog',
  describe: (o) =>
    `a backlog of ${o.backlog} jobs (preloaded in batches of ${o.batchSize}, untimed), drained by one consumer with concurrency ${o.concurrencies.join(' / ')}; timed first run start → last run start`,
  columns: (o) => o.concurrencies.map((c) => ({ header: `c=${c} jobs/s`, case: `c=${c}`, metric: 'jobsPerSec' as const })),
  cases: (_system, o) => o.concurrencies.map((concurrency) => consumeCase(concurrency, o.backlog)),
};

function consumeCase(concurrency: number, backlog: number): ScenarioCase {
  return {
    case: `c=${concurrency}`,
    run: (env) =>
      withQueue(env, async (queue) => {
        await publishAll(env, queue, backlog, env.options.batchSize, 'preloading the backlog');
        const tracker = new JobTracker(backlog);
        const cpuFrom = await env.cpu.start();
        const consumers = await queue.consume(concurrency, trackedHandlers(tracker));
        let cpuMs;
        try {
          await tracker.untilAllRan(env.options.stallMs, () =>
            env.progress.update(`${env.label}: draining ${ofTotal(tracker.ranCount, backlog)}`),
          );
          cpuMs = await env.cpu.stop(cpuFrom);
        } finally {
          await consumers.drain();
        }
        tracker.check();
        const seconds = (tracker.lastRunAt - tracker.firstRunAt) / 1000;
        return { jobs: backlog, seconds, jobsPerSec: backlog > 1 ? (backlog - 1) / seconds : undefined, cpuMs };
      }),
  };
}
