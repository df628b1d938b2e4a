import { nowMs } from '../clock';
import type { JobTracker } from '../job-tracker';
import type { BenchQueue, ConsumeHandlers } from '../systems/bench-system.interface';
import type { CaseEnv } from './scenario.interface';

/** Opens a fresh queue for one case and always tears it down, even when the case fails. */
export async function withQueue<T>(env: CaseEnv, use: (queue: BenchQueue, name: string) => Promise<T>): Promise<T> {
  const name = env.queueName();
  const queue = await env.system.open(name, env.context);
  try {
    return await use(queue, name);
  } finally {
    await queue.teardown().catch((err: Error) => env.progress.log(`  warning: ${env.label}: teardown failed: ${err.message}`));
  }
}

/** Handlers that report every run start (with its publish → run-start latency) and every error to the tracker. */
export function trackedHandlers(tracker: JobTracker): ConsumeHandlers {
  return {
    onJob: (job) => {
      const at = nowMs();
      tracker.ran(job.n, at, at - job.t);
    },
    onError: (error) => tracker.fail(error),
  };
}

/** "12,345 / 20,000" for progress lines. */
export function ofTotal(done: number, total: number): string {
  return `${done.toLocaleString('en-US')} / ${total.toLocaleString('en-US')}`;
}

/**
 * Runs every published job once more through `concurrency` consumers and checks each ran exactly once:
 * the untimed half of a publish case, which proves nothing published was lost.
 */
export async function drainAndCheck(env: CaseEnv, queue: BenchQueue, tracker: JobTracker, concurrency: number): Promise<void> {
  const consumers = await queue.consume(concurrency, trackedHandlers(tracker));
  try {
    await tracker.untilAllRan(env.options.stallMs, () =>
      env.progress.update(`${env.label}: checking every job runs once — ${ofTotal(tracker.ranCount, tracker.expected)}`),
    );
  } finally {
    await consumers.drain();
  }
  tracker.check();
}
