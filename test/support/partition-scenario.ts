import { join } from 'node:path';
import type { JobState, Orchestrator } from '../../lib';
import type { ChildMessage } from './child-report';
import { spawnFixture, type FixtureProcess } from './fixture-process';
import type { NetnsNetwork } from './netns-kit';

const WORKER = join(__dirname, 'partition-worker.ts');

/** Jobs worker A takes and holds when the link is cut (its concurrency; its prefetch follows it). */
export const HELD = 3;

/** Worker A (host "a", cut off in the scenario) and worker B (host "b"), one process each, for every scenario of a file. */
export interface PartitionWorkers {
  a: FixtureProcess;
  b: FixtureProcess;
  stop(): Promise<void>;
}

/** Starts both workers (ts-node: the slow part) in their namespaces; resolves once both can take commands. */
export async function startPartitionWorkers(net: NetnsNetwork, env: Record<string, string>): Promise<PartitionWorkers> {
  const spawnOn = (host: string): FixtureProcess =>
    spawnFixture(WORKER, { ...env, MT_NAME: host }, ['ip', 'netns', 'exec', net.hosts[host].ns]);
  const a = spawnOn('a');
  const b = spawnOn('b');
  const stop = async (): Promise<void> => {
    await Promise.all([a.kill(), b.kill()]);
  };
  try {
    await Promise.all([a, b].map((w) => w.next((m) => m.type === 'ready', 'it to start')));
  } catch (err) {
    await stop();
    throw err;
  }
  return { a, b, stop };
}

/** What happened in one run of the partition scenario, for the spec to assert on. */
export interface PartitionOutcome {
  ids: string[];
  /** The jobs A was running when its link was cut. */
  heldByA: string[];
  /** What each worker reported about the scenario's queue. */
  a: ChildMessage[];
  b: ChildMessage[];
  /** Job state of every id at the end. */
  states: (JobState | null)[];
  /** ms each phase took, in order: for the spec's output, never asserted. */
  phases: Record<string, number>;
}

/**
 * Issue #18's partition scenario on one broker, on a queue of its own: worker A takes HELD jobs and
 * holds their runs; worker B then runs everything else. A's link is cut; B must get A's jobs (after
 * the lease on Redis, after the broker drops A's connection on RabbitMQ). A's runs end while it is
 * cut off — at once (`finishA: 'at-cut'`, before anything in A can have noticed) or once B has
 * completed them ('after-takeover') — so their completions wait in its sockets or fail at once, and
 * A's link is restored: those late completions must be refused. More jobs published after the restore
 * show the queue still flows. Messages and job states are returned for the spec's assertions.
 */
export async function runPartitionScenario(options: {
  net: NetnsNetwork;
  orchestrator: Orchestrator;
  workers: PartitionWorkers;
  queue: string;
  jobs: number;
  afterRestore: number;
  finishA: 'after-takeover' | 'at-cut';
  /** The consumers' lease (Redis). */
  leaseMs?: number;
}): Promise<PartitionOutcome> {
  const { net, orchestrator, queue, jobs, afterRestore, finishA, leaseMs } = options;
  const { a, b } = options.workers;
  const phases: Record<string, number> = {};
  let since = Date.now();
  const phase = (name: string): void => {
    phases[name] = Date.now() - since;
    since = Date.now();
  };
  const ofQueue = (w: FixtureProcess): ChildMessage[] => w.messages.filter((m) => m.queue === queue);
  const next = (w: FixtureProcess, type: string, id: string | null, what: string): Promise<ChildMessage> =>
    w.next((m) => m.queue === queue && m.type === type && (id === null || m.id === id), what);

  send(a, { cmd: 'consume', queue, concurrency: HELD, hold: true, leaseMs });
  await next(a, 'consuming', null, 'A to consume');
  const first = await orchestrator.publishBatch(
    queue,
    Array.from({ length: jobs }, (_, i) => ({ label: `j${i}`, n: i })),
  );
  const ids = [...first.ids];
  const startsOfA = (): ChildMessage[] => ofQueue(a).filter((m) => m.type === 'started');
  await a.next((m) => m.queue === queue && m.type === 'started' && startsOfA().length >= HELD, `A to hold ${HELD} runs`);
  const heldByA = startsOfA().map((m) => m.id as string);
  phase('A holds');

  send(b, { cmd: 'consume', queue, concurrency: 2, leaseMs });
  const completedBy = (w: FixtureProcess, id: string) => next(w, 'completed', id, `the completion of ${id}`);
  await Promise.all(ids.filter((id) => !heldByA.includes(id)).map((id) => completedBy(b, id)));
  phase('B runs the rest');

  await net.cut('a');
  const finish = async (): Promise<void> => {
    send(a, { cmd: 'finish', queue });
    await Promise.all(heldByA.map((id) => next(a, 'finished', id, `A to finish ${id}`)));
  };
  if (finishA === 'at-cut') await finish();
  await guarded(Promise.all(heldByA.map((id) => completedBy(b, id))), "B to complete A's jobs after the cut", [a, b], queue);
  phase("cut until B completed A's jobs");
  if (finishA === 'after-takeover') await finish();
  await net.restore('a');
  const answered = (m: ChildMessage): boolean => m.type === 'complete-refused' || m.type === 'complete-accepted';
  await guarded(
    Promise.all(heldByA.map((id) => a.next((m) => m.queue === queue && answered(m) && m.id === id, `A's late completion of ${id}`))),
    "the answers to A's late completions",
    [a, b],
    queue,
  );
  phase('restored until late completions answered');

  const later = await orchestrator.publishBatch(
    queue,
    Array.from({ length: afterRestore }, (_, i) => ({ label: `after${i}`, n: jobs + i })),
  );
  ids.push(...later.ids);
  await Promise.all(later.ids.map((id) => Promise.any([completedBy(a, id), completedBy(b, id)])));
  phase('jobs published after the restore');

  const states = await Promise.all(ids.map((id) => orchestrator.getJob(id)));
  return { ids, heldByA, a: ofQueue(a), b: ofQueue(b), states, phases };
}

/** A step that did not happen within GUARD_MS fails with what both workers reported, rather than at the test's timeout. */
const GUARD_MS = 30_000;
async function guarded<T>(step: Promise<T>, what: string, workers: FixtureProcess[], queue: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const reports = workers.map((w) => w.messages.filter((m) => m.queue === queue && m.type !== 'started' && m.type !== 'completed'));
      reject(new Error(`waited ${GUARD_MS} ms for ${what}; the workers reported: ${JSON.stringify(reports)}`));
    }, GUARD_MS);
  });
  try {
    return await Promise.race([step, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function send(worker: FixtureProcess, command: Record<string, unknown>): void {
  worker.child.stdin.write(`${JSON.stringify(command)}\n`);
}

/** How many times each id shows in messages of `type`. */
function countsOf(messages: readonly ChildMessage[], type: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const m of messages) if (m.type === type) counts.set(m.id as string, (counts.get(m.id as string) ?? 0) + 1);
  return counts;
}

/**
 * What both brokers promise after a partition: A's late completions refused with LeaseLostError, only
 * A's held jobs ran twice (A, then B with attempt 2), each job completed exactly once, never by A for
 * a job it lost, and the job state (Redis, or the job store) keeps B's result: nothing of A's late run.
 */
export function expectPartitionOutcome(outcome: PartitionOutcome): void {
  const { ids, heldByA, a, b, states } = outcome;
  const runs = [...a, ...b].filter((m) => m.type === 'started');
  expect(heldByA).toHaveLength(HELD);
  const late = a.filter((m) => (m.type === 'complete-refused' || m.type === 'complete-accepted') && heldByA.includes(m.id as string));
  expect(late.map((m) => [m.id, m.type, m.error]).sort()).toEqual(heldByA.map((id) => [id, 'complete-refused', 'LeaseLostError']).sort());
  const redelivered = runs.filter((m) => (m.attempt as number) > 1);
  expect(redelivered.map((m) => [m.id, m.by, m.attempt]).sort()).toEqual(heldByA.map((id) => [id, 'b', 2]).sort());
  expect(runs).toHaveLength(ids.length + HELD);

  const completions = countsOf([...a, ...b], 'completed');
  expect([...completions.keys()].sort()).toEqual([...ids].sort());
  expect([...completions.values()].every((n) => n === 1)).toBe(true);
  expect(a.filter((m) => m.type === 'completed' && heldByA.includes(m.id as string))).toEqual([]);
  expect(states.map((s) => s?.status)).toEqual(ids.map(() => 'completed'));
  const keptOfHeld = states.filter((s) => heldByA.includes(s?.id ?? '')).map((s) => [s?.id, s?.attempt, s?.result]);
  expect(keptOfHeld.sort()).toEqual(
    heldByA.map((id) => [id, 2, { echoed: `${String(states.find((s) => s?.id === id)?.payload.label)}@b` }]).sort(),
  );
}

/** One line for the test's output: how the takeover went. */
export function describeOutcome(broker: string, outcome: PartitionOutcome): string {
  const runs = [...outcome.a, ...outcome.b].filter((m) => m.type === 'started').length;
  return `partition (${broker}): ${runs - outcome.ids.length} redeliveries; phases (ms) ${JSON.stringify(outcome.phases)}\n`;
}
