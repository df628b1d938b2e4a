import type { QueueStats } from '../../backend/job-state';
import type { ConsumerLoopStatus } from '../../consumer/consumer-loop-status';
import { InvalidOptionError } from '../../errors';
import { checkOptionKeys } from '../../backend/option-keys';
import type { Orchestrator } from '../../orchestrator/orchestrator';
import type { ConsumerHealth, HealthOptions, JobsHealthReport, QueueHealth } from './jobs-health-report';

const DEFAULT_TIMEOUT_MS = 5_000;
const DEFAULT_MAX_IDLE_MS = 60_000;
/** Asked of the backend when no queue is known: any answer (null included) shows it is there. */
const PING_QUEUE = 'mindtrace-jobs-health-ping';

/**
 * The backend is asked for every known queue's counts (a ping that also feeds the thresholds); a
 * consumer is judged by its loop, so a loop that stopped, crashed, keeps failing to fetch or takes
 * nothing while jobs wait reads down even though the broker itself answers.
 */
export async function checkHealth(orchestrator: Orchestrator, options: HealthOptions): Promise<JobsHealthReport> {
  const { timeoutMs, maxIdleMs, maxWaiting, maxDead, queues } = resolveHealthOptions(options);
  const backend = orchestrator.backend;
  const names = queues ?? orchestrator.knownQueues;
  let stats: Map<string, QueueStats> | null = null;
  let backendError: string | undefined;
  try {
    stats = await within(timeoutMs, backend.name, askForStats(orchestrator, names));
  } catch (error) {
    backendError = error instanceof Error ? error.message : String(error);
  }
  const now = Date.now();
  const consumers = orchestrator.consumerLoops.map((loop) => consumerHealth(loop, stats?.get(loop.queue), maxIdleMs, now));
  const queueHealth = stats ? [...stats].map(([queue, counts]) => queueHealthOf(queue, counts, maxWaiting, maxDead)) : [];
  const down = backendError !== undefined || consumers.some((c) => c.status === 'down') || queueHealth.some((q) => q.status === 'down');
  return {
    status: down ? 'down' : 'up',
    backend:
      backendError === undefined ? { name: backend.name, status: 'up' } : { name: backend.name, status: 'down', error: backendError },
    consumers,
    queues: queueHealth,
  };
}

async function askForStats(orchestrator: Orchestrator, queues: readonly string[]): Promise<Map<string, QueueStats>> {
  if (queues.length === 0) {
    await orchestrator.backend.queueType(PING_QUEUE);
    return new Map();
  }
  const counts = await Promise.all(queues.map((queue) => orchestrator.backend.queueStats(queue)));
  return new Map(queues.map((queue, index) => [queue, counts[index]]));
}

function consumerHealth(loop: ConsumerLoopStatus, stats: QueueStats | undefined, maxIdleMs: number, now: number): ConsumerHealth {
  const lastTakenAt = loop.lastTakenAt(now);
  const facts = {
    queue: loop.queue,
    consumer: loop.consumer,
    state: loop.state,
    concurrency: loop.concurrency,
    heldJobs: loop.heldJobs,
    abandonedRuns: loop.abandonedRuns,
    lastTakenAt: new Date(lastTakenAt).toISOString(),
  };
  const down = (reason: string): ConsumerHealth => ({ ...facts, status: 'down', reason });
  switch (loop.state) {
    case 'crashed':
      return down(`its loop crashed: ${loop.lastError}`);
    case 'reconnecting':
      return down(`its fetches fail (${loop.lastError}); it keeps trying to reconnect`);
    case 'stopped':
      return down('it is stopped: it takes no jobs');
    case 'running':
      break;
  }
  if (loop.abandonedRuns >= loop.maxAbandonedRuns) {
    return down(
      `${loop.abandonedRuns} runs it abandoned after their timeout have not returned (maxAbandonedRuns ${loop.maxAbandonedRuns}): it takes no jobs until one does`,
    );
  }
  const idleMs = now - lastTakenAt;
  if (stats && stats.waiting > 0 && idleMs > maxIdleMs) {
    return down(`it has taken no job for ${idleMs} ms while ${stats.waiting} wait (maxIdleMs ${maxIdleMs})`);
  }
  return { ...facts, status: 'up' };
}

function queueHealthOf(queue: string, counts: QueueStats, maxWaiting: number, maxDead: number): QueueHealth {
  const { waiting, delayed, active, dead } = counts;
  const facts = { queue, waiting, delayed, active, dead };
  if (waiting > maxWaiting) return { ...facts, status: 'down', reason: `${waiting} jobs wait, more than maxWaiting (${maxWaiting})` };
  if (dead > maxDead) return { ...facts, status: 'down', reason: `${dead} dead letters, more than maxDead (${maxDead})` };
  return { ...facts, status: 'up' };
}

/** `work`, or an error naming the backend once `ms` pass without an answer. */
function within<T>(ms: number, backendName: string, work: Promise<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${backendName} did not answer within ${ms} ms`)), ms);
    // A probe must not keep a process alive that is shutting down.
    timer.unref();
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

function resolveHealthOptions(options: HealthOptions) {
  const where = 'health()';
  checkOptionKeys(where, '', options, ['timeoutMs', 'maxIdleMs', 'maxWaiting', 'maxDead', 'queues']);
  const { timeoutMs = DEFAULT_TIMEOUT_MS, maxIdleMs = DEFAULT_MAX_IDLE_MS, maxWaiting = Infinity, maxDead = Infinity, queues } = options;
  for (const [name, value] of Object.entries({ timeoutMs, maxIdleMs, maxWaiting, maxDead })) {
    if (!(typeof value === 'number' && value >= 0 && !Number.isNaN(value))) {
      throw new InvalidOptionError(where, name, `must be a number >= 0, got ${String(value)}`);
    }
  }
  if (queues !== undefined && !(Array.isArray(queues) && queues.every((queue) => typeof queue === 'string'))) {
    throw new InvalidOptionError(where, 'queues', `must be an array of queue names, got ${JSON.stringify(queues)}`);
  }
  return { timeoutMs, maxIdleMs, maxWaiting, maxDead, queues };
}
