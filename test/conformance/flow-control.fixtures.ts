import type { ConsumerOptions, JobRecord, Orchestrator, RateLimit } from '../../lib';
import type { ConformanceContext } from './conformance-context';
import { FnConsumer, taskSchema, type RunFn } from './conformance.fixtures';

/** Consumer options with a rate limit. */
export function rateLimited(rateLimit: RateLimit, options: ConsumerOptions = {}): ConsumerOptions {
  return { ...options, rateLimit };
}

/** A queue registered with the task schema on the test's orchestrator. */
export async function registeredQueue(ctx: ConformanceContext, label: string): Promise<{ queue: string; orchestrator: Orchestrator }> {
  const queue = ctx.queueName(label);
  await ctx.orchestrator().register(taskSchema(queue));
  return { queue, orchestrator: ctx.orchestrator() };
}

/** A consumer connected to `orchestrator` whose run is `fn`. */
export function connected(orchestrator: Orchestrator, queue: string, fn: RunFn, options?: ConsumerOptions): FnConsumer {
  const consumer = new FnConsumer(queue, fn, options);
  consumer.connect(orchestrator);
  return consumer;
}

/** What a consumer's `active` events saw: each job taken, with the time it was taken. */
export function takenJobs(consumer: FnConsumer): { job: JobRecord; takenAt: number }[] {
  const taken: { job: JobRecord; takenAt: number }[] = [];
  consumer.on('active', ({ job }) => void taken.push({ job, takenAt: Date.now() }));
  return taken;
}

/** A gate a run can wait on, and a promise that resolves when the first run reached it. */
export function gate(): { open: () => void; wait: Promise<void>; reached: Promise<void>; arrive: () => void } {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => (open = resolve));
  let arrive!: () => void;
  const reached = new Promise<void>((resolve) => (arrive = resolve));
  return { open, wait, reached, arrive };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Waits until `check` holds, looking every 20 ms, for state the test cannot be told about (a schedule
 * moved on in the background after a run); rejects naming `what` after `timeoutMs`.
 */
export async function eventually(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting until ${what}`);
    await sleep(20);
  }
}

/** Jobs waiting or delayed: the occurrences a schedule keeps enqueued. */
export async function pending(orchestrator: Orchestrator, queue: string): Promise<number> {
  const stats = await orchestrator.queueStats(queue);
  return stats.waiting + stats.delayed;
}

/**
 * The most starts inside any window of `windowMs` beginning at a start. A run starts a little after
 * the backend handed its job out, by a delay that varies; the caller shrinks the window by that much
 * slack, which can excuse a start late by the slack but never a burst of them.
 */
export function mostStartsInAnyWindow(starts: readonly number[], windowMs: number): number {
  const sorted = [...starts].sort((a, b) => a - b);
  let most = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (sorted[i] - sorted[j] >= windowMs) j++;
    most = Math.max(most, i - j + 1);
  }
  return most;
}
