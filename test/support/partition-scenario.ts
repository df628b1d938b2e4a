import { join } from 'node:path';
import type { JobState, Orchestrator } from '../../lib';
import type { ChildMessage } from './child-report';
import { spawnFixture, type FixtureProcess } from './fixture-process';
import type { NetnsNetwork } from './netns-kit';

const WORKER = join(__dirname, 'partition-worker.ts');

/** Jobs worker A takes and holds when the link is cut (its concurrency; its prefetch follows it). */
export const HELD = 3;

/** What happened in one run of the partition scenario, for the spec to assert on. */
export interface PartitionOutcome {
  ids: string[];
  /** The jobs A was running when its link was cut. */
  heldByA: string[];
  a: ChildMessage[];
  b: ChildMessage[];
  /** Job state of every id at the end. */
  states: (JobState | null)[];
  /** ms from the cut until B had completed every job A held. */
  takeoverMs: number;
  /** ms each phase took, in order: for the spec's output, never asserted. */
  phases: Record<string, number>;
}

/**
 * Issue #18's partition scenario on one broker: worker A (host "a") takes HELD jobs and holds their
 * runs; worker B (host "b") then runs everything else. A's link is cut; B must get A's jobs (after
 * the lease on Redis, after the broker drops A's connection on RabbitMQ). A's runs then end while it
 * is still cut off, so their completions wait in its sockets, and A's link is restored: those late
 * completions reach the broker and must be refused. A few more jobs published after the restore show
 * both workers' queue still flows. Messages and job states are returned for the spec's assertions.
 */
export async function runPartitionScenario(options: {
  net: NetnsNetwork;
  orchestrator: Orchestrator;
  queue: string;
  /** MT_BACKEND and what it needs (see partition-worker.ts). */
  env: Record<string, string>;
  jobs: number;
  afterRestore: number;
}): Promise<PartitionOutcome> {
  const { net, orchestrator, queue, env, jobs, afterRestore } = options;
  const workers: FixtureProcess[] = [];
  const phases: Record<string, number> = {};
  let since = Date.now();
  const phase = (name: string): void => {
    phases[name] = Date.now() - since;
    since = Date.now();
  };
  try {
    const spawnOn = (host: string, extra: Record<string, string>): FixtureProcess => {
      const worker = spawnFixture(WORKER, { ...env, MT_QUEUE: queue, MT_NAME: host, ...extra }, [
        'ip',
        'netns',
        'exec',
        net.hosts[host].ns,
      ]);
      workers.push(worker);
      return worker;
    };
    const a = spawnOn('a', { MT_CONCURRENCY: String(HELD), MT_HOLD: '1' });
    const b = spawnOn('b', { MT_CONCURRENCY: '2', MT_WAIT: '1' });
    await Promise.all([a, b].map((w) => w.next((m) => m.type === 'ready', 'it to start')));
    phase('workers start');

    const first = await orchestrator.publishBatch(
      queue,
      Array.from({ length: jobs }, (_, i) => ({ label: `j${i}`, n: i })),
    );
    const ids = [...first.ids];
    const startsOfA = (): ChildMessage[] => a.messages.filter((m) => m.type === 'started');
    await a.next((m) => m.type === 'started' && startsOfA().length >= HELD, `A to hold ${HELD} runs`);
    const heldByA = startsOfA().map((m) => m.id as string);
    phase('A holds');

    send(b, { cmd: 'consume' });
    const completedBy = (w: FixtureProcess, id: string) => w.next((m) => m.type === 'completed' && m.id === id, `the completion of ${id}`);
    await Promise.all(ids.filter((id) => !heldByA.includes(id)).map((id) => completedBy(b, id)));

    phase('B runs the rest');
    await net.cut('a');
    await Promise.all(heldByA.map((id) => completedBy(b, id)));
    phase("cut until B completed A's jobs");

    // A's runs end while it is cut off: their completions wait in its sockets (or fail on its dead channel).
    send(a, { cmd: 'finish' });
    await Promise.all(heldByA.map((id) => a.next((m) => m.type === 'finished' && m.id === id, `A to finish ${id}`)));
    await net.restore('a');
    await Promise.all(
      heldByA.map((id) =>
        a.next((m) => (m.type === 'complete-refused' || m.type === 'complete-accepted') && m.id === id, `A's late completion of ${id}`),
      ),
    );
    phase('A finishes, restored, late completions answered');

    const later = await orchestrator.publishBatch(
      queue,
      Array.from({ length: afterRestore }, (_, i) => ({ label: `after${i}`, n: jobs + i })),
    );
    ids.push(...later.ids);
    await Promise.all(later.ids.map((id) => Promise.any([completedBy(a, id), completedBy(b, id)])));
    phase('jobs published after the restore');

    const states = await Promise.all(ids.map((id) => orchestrator.getJob(id)));
    return { ids, heldByA, a: [...a.messages], b: [...b.messages], states, takeoverMs: phases["cut until B completed A's jobs"], phases };
  } finally {
    await Promise.all(workers.map((w) => w.kill()));
  }
}

function send(worker: FixtureProcess, command: Record<string, unknown>): void {
  worker.child.stdin.write(`${JSON.stringify(command)}\n`);
}

/** How many times each id shows in messages of `type`. */
export function countsOf(messages: readonly ChildMessage[], type: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const m of messages) if (m.type === type) counts.set(m.id as string, (counts.get(m.id as string) ?? 0) + 1);
  return counts;
}
