import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Orchestrator, scheduleOccurrenceId, type JobBackend } from '../../lib';
import { taskSchema } from '../conformance/conformance.fixtures';
import { mostStartsInAnyWindow, sleep } from '../conformance/flow-control.fixtures';
import type { ChildMessage } from './child-report';
import { spawnFixture, type FixtureProcess } from './fixture-process';

/** A backend shared by processes: what its worker processes are told, and a client for the test's own process. */
export interface SharedBackend {
  name: string;
  /** MT_BACKEND and what it needs (see flow-worker.ts). */
  env: Record<string, string>;
  create(): JobBackend;
}

const WORKER = join(__dirname, 'flow-worker.ts');
/** A test's bound, far beyond its few seconds of work: starting three ts-node processes on a loaded two-core machine takes a while. */
const HANG_GUARD_MS = 120_000;

/**
 * Issue #16's multi-process tests, run on each backend that shares schedules, pauses and rate limits
 * between processes: several real processes on one queue, each doing what an app's processes do.
 */
export function describeFlowControlProcesses(backend: SharedBackend): void {
  describe(`flow control across processes on ${backend.name}`, () => {
    const children: FixtureProcess[] = [];
    let orchestrator: Orchestrator;

    beforeEach(() => {
      orchestrator = new Orchestrator(backend.create());
    });
    afterEach(async () => {
      await Promise.all(children.splice(0).map((child) => child.kill()));
      await orchestrator.close();
    });

    async function queue(label: string): Promise<string> {
      const name = `procs-${label}-${randomUUID().slice(0, 8)}`;
      await orchestrator.register(taskSchema(name));
      return name;
    }

    function spawnWorkers(count: number, env: Record<string, string>): FixtureProcess[] {
      const spawned = Array.from({ length: count }, (_, i) => spawnFixture(WORKER, { ...backend.env, ...env, MT_NAME: `w${i}` }));
      children.push(...spawned);
      return spawned;
    }

    const ready = (workers: FixtureProcess[]) => Promise.all(workers.map((w) => w.next((m) => m.type === 'ready', 'it to be ready')));

    async function stop(workers: FixtureProcess[]): Promise<void> {
      for (const worker of workers) worker.child.stdin.write('stop\n');
      await Promise.all(workers.map((w) => w.next((m) => m.type === 'stopped', 'it to stop')));
      expect(await Promise.all(workers.map((w) => w.exited))).toEqual(workers.map(() => 0));
    }

    const runsOf = (workers: FixtureProcess[]): ChildMessage[] => workers.flatMap((w) => w.messages.filter((m) => m.type === 'ran'));

    /** Resolves once some worker reported running the job labelled `label`. */
    const ranSomewhere = (workers: FixtureProcess[], label: string) =>
      Promise.any(workers.map((w) => w.next((m) => m.type === 'ran' && m.label === label, `a run of ${label}`)));

    it(
      'three processes scheduling one key every 200 ms and consuming it: one job per tick, ticks consecutive, none twice',
      async () => {
        const EVERY = 200;
        const q = await queue('schedule');
        const workers = spawnWorkers(3, { MT_QUEUE: q, MT_EVERY: String(EVERY) });
        await ready(workers);
        // Ticks from here on: every process is up (starting one loads the others' CPU), all three consume.
        const allReady = Date.now();
        // Let about fifteen ticks pass.
        await sleep(3_000);
        await stop(workers);

        const runs = runsOf(workers);
        const ids = runs.map((m) => m.id as string);
        expect(new Set(ids).size).toBe(ids.length);
        expect(runs.every((m) => m.attempt === 1)).toBe(true);
        const prefix = scheduleOccurrenceId(q, 'tick', 0).slice(0, -1);
        expect(ids.every((id) => id.startsWith(prefix))).toBe(true);
        const startOf = new Map(runs.map((m) => [Number((m.id as string).slice(prefix.length)), m.at as number]));
        const ticks = [...startOf.keys()].filter((at) => at >= allReady).sort((a, b) => a - b);
        expect(ticks.length).toBeGreaterThanOrEqual(5);
        // A tick is skipped only if the schedule moved on after its successor was due; the lateness helps tell a loaded machine from a bug.
        const skips = ticks
          .slice(1)
          .map((at, i) => ({ after: ticks[i], next: at, ranLateBy: (startOf.get(ticks[i]) ?? NaN) - ticks[i] }))
          .filter(({ after, next }) => next - after !== EVERY);
        expect(skips).toEqual([]);
        const stored = await orchestrator.schedules(q);
        expect(stored).toHaveLength(1);
        expect(stored[0].nextRunAt.getTime()).toBeGreaterThan(ticks[ticks.length - 1]);
      },
      HANG_GUARD_MS,
    );

    it(
      'processes consuming a queue limited to 5 per 500 ms: no window holds more than 5 starts, each job runs once',
      async () => {
        const limit = { max: 5, intervalMs: 500 };
        const q = await queue('rate');
        const workers = spawnWorkers(3, {
          MT_QUEUE: q,
          MT_CONCURRENCY: '4',
          MT_RATE_MAX: String(limit.max),
          MT_RATE_INTERVAL: String(limit.intervalMs),
        });
        await ready(workers);
        const labels = Array.from({ length: 20 }, (_, i) => `r${i}`);
        await orchestrator.publishBatch(
          q,
          labels.map((label) => ({ label })),
        );
        await Promise.all(labels.map((label) => ranSomewhere(workers, label)));
        await stop(workers);

        const runs = runsOf(workers);
        expect(runs.map((m) => m.label as string).sort()).toEqual([...labels].sort());
        expect(runs.every((m) => m.attempt === 1)).toBe(true);
        // The processes share the machine's clock. A run starts a little after its job was handed out;
        // shrinking the window by that slack can excuse one late start, never a burst past the limit.
        const SLACK_MS = 100;
        expect(
          mostStartsInAnyWindow(
            runs.map((m) => m.at as number),
            limit.intervalMs - SLACK_MS,
          ),
        ).toBeLessThanOrEqual(limit.max);
        expect(await orchestrator.queueStats(q)).toMatchObject({ waiting: 0, active: 0, completed: labels.length });
      },
      HANG_GUARD_MS,
    );

    it(
      'a pause from one process stops the consumers in the others; its resume restarts them',
      async () => {
        const q = await queue('pause');
        const [controller] = spawnWorkers(1, { MT_QUEUE: q, MT_CONSUME: '0' });
        const consumers = spawnWorkers(2, { MT_QUEUE: q, MT_CONCURRENCY: '2' });
        await ready([controller, ...consumers]);
        // The consumers work before the pause.
        await orchestrator.publish(q, { label: 'warm-up' });
        await ranSomewhere(consumers, 'warm-up');

        controller.child.stdin.write('pause\n');
        await controller.next((m) => m.type === 'paused', 'the pause');
        expect((await orchestrator.queueStats(q)).paused).toBe(true);
        const labels = ['p0', 'p1', 'p2', 'p3', 'p4'];
        for (const label of labels) await orchestrator.publish(q, { label });
        // Nothing can report that nothing ran: watch a while; a consumer ignoring the pause takes a job at once.
        await sleep(500);
        expect(runsOf(consumers).map((m) => m.label)).toEqual(['warm-up']);
        expect(await orchestrator.queueStats(q)).toMatchObject({ waiting: labels.length, active: 0, paused: true });

        controller.child.stdin.write('resume\n');
        await Promise.all(labels.map((label) => ranSomewhere(consumers, label)));
        await stop([controller, ...consumers]);
        const runs = runsOf(consumers);
        expect(runs.map((m) => m.label as string).sort()).toEqual(['warm-up', ...labels].sort());
        expect((await orchestrator.queueStats(q)).paused).toBe(false);
      },
      HANG_GUARD_MS,
    );
  });
}
