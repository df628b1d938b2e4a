import { makeJobs } from '../bench-job';
import { nowMs } from '../clock';
import { JobTracker } from '../job-tracker';
import { summarizeLatency } from '../latency';
import { ofTotal, trackedHandlers, withQueue } from './case-env';
import type { Scenario } from './scenario.interface';

/**
 * Round trip: publish one job, wait until its run starts, repeat. One consumer with concurrency 1 in
 * the same process; latency is publish call → run start.
 */
export const roundTripScenario: Scenario = {
  name: 'round-trip',
  title: 'Round trip: publish one, wait for its run to start, repeat',
  describe: (o) =>
    `${o.roundTrips} round trips after ${o.warmup} warm-up, one consumer (concurrency 1) in the producer's process; latency = publish call → run start`,
  columns: () => [
    { header: 'p50 ms', case: 'latency', metric: 'p50' },
    { header: 'p95 ms', case: 'latency', metric: 'p95' },
    { header: 'p99 ms', case: 'latency', metric: 'p99' },
    { header: 'max ms', case: 'latency', metric: 'max' },
    { header: 'round trips/s', case: 'latency', metric: 'jobsPerSec' },
  ],
  cases: () => [
    {
      case: 'latency',
      run: (env) => {
        const { roundTrips, warmup, stallMs } = env.options;
        const total = warmup + roundTrips;
        const tracker = new JobTracker(total);
        return withQueue(env, async (queue) => {
          const consumers = await queue.consume(1, trackedHandlers(tracker));
          let start = nowMs();
          try {
            for (let n = 0; n < total; n++) {
              if (n === warmup) start = nowMs();
              const ran = tracker.until(n + 1, stallMs);
              await Promise.all([queue.publish(makeJobs(n, 1, nowMs(), env.padding)[0]), ran]);
              if (n % 25 === 0) env.progress.update(`${env.label}: ${n < warmup ? 'warming up' : 'round trips'} ${ofTotal(n + 1, total)}`);
            }
          } finally {
            await consumers.drain();
          }
          const seconds = (nowMs() - start) / 1000;
          tracker.check();
          return { jobs: roundTrips, seconds, jobsPerSec: roundTrips / seconds, latencyMs: summarizeLatency(tracker.latencies(warmup)) };
        });
      },
    },
  ],
};
