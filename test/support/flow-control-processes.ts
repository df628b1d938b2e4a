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
/** A generous bound: starting three ts-node processes on a loaded two-core machine can take a minute. */
const HANG_GUARD_MS = 120_000;

/**
 * Issue #16's multi-process tests, run on each backend that shares schedules, pauses and rate limits
 * between processes: several real processes on one queue, each doing what an app's processes do.
 */
export function describeFlowControlProcesses(backend: SharedBackend): void {
  describe(`flow control across processes on ${backend.name}`, () => {
    let workers: FixtureProcess[] = [];
    let orchestrator: Orchestrator;

    // Three worker processes for the whole file, each test on queues of its own: starting a process
    // costs far more than a test's few seconds of work.
    beforeAll(async () => {
      workers = Array.from({ length: 3 }, (_, i) => spawnFixture(WORKER, { ...backend.env, MT_NAME: `w${i}` }));
      await Promise.all(workers.map((w) => w.next((m) => m.type === 'started', 'it to start')));
    }, HANG_GUARD_MS);
    afterAll(async () => {
      for (const worker of workers) send(worker, { cmd: 'exit' });
      expect(await Promise.all(workers.map((w) => w.exited))).toEqual(workers.map(() => 0));
    });
    beforeEach(() => {
      orchestrator = new Orchestrator(backend.create());
    });
    afterEach(() => orchestrator.close());

    function send(worker: FixtureProcess, command: Record<string, unknown>): void {
      worker.child.stdin.write(`${JSON.stringify(command)}\n`);
    }

    /** Sends `command` about `queue` to each worker and resolves once each reported `reply` for that queue. */
    async function tell(some: FixtureProcess[], command: Record<string, unknown> & { cmd: string; queue: string }, reply: string) {
      for (const worker of some) send(worker, command);
      return Promise.all(some.map((w) => w.next((m) => m.type === reply && m.queue === command.queue, `${reply} on ${command.queue}`)));
    }

    async function queue(label: string): Promise<string> {
      const name = `procs-${label}-${randomUUID().slice(0, 8)}`;
      await orchestrator.register(taskSchema(name));
      return name;
    }

    const runsOf = (some: FixtureProcess[], queue: string): ChildMessage[] =>
      some.flatMap((w) => w.messages.filter((m) => m.type === 'ran' && m.queue === queue));

    /** Resolves once some worker reported running the job labelled `label` of `queue`. */
    const ranSomewhere = (some: FixtureProcess[], queue: string, label: string) =>
      Promise.any(some.map((w) => w.next((m) => m.type === 'ran' && m.queue === queue && m.label === label, `a run of ${label}`)));

    it(
      'three processes scheduling one key every 200 ms and consuming it: one job per tick, ticks consecutive, none twice',
      async () => {
        const EVERY = 200;
        const q = await queue('schedule');
        await tell(workers, { cmd: 'consume', queue: q, every: EVERY }, 'ready');
        const allReady = Date.now();
        // About fifteen ticks with all three consuming.
        await sleep(3_000);
        await tell(workers, { cmd: 'stop', queue: q }, 'stopped');

        const runs = runsOf(workers, q);
        const ids = runs.map((m) => m.id as string);
        expect(new Set(ids).size).toBe(ids.length);
        expect(runs.every((m) => m.attempt === 1)).toBe(true);
        const prefix = scheduleOccurrenceId(q, 'tick', 0).slice(0, -1);
        expect(ids.every((id) => id.startsWith(prefix))).toBe(true);
        const startOf = new Map(runs.map((m) => [Number((m.id as string).slice(prefix.length)), m.at as number]));
        const ticks = [...startOf.keys()].filter((at) => at >= allReady).sort((a, b) => a - b);
        expect(ticks.length).toBeGreaterThanOrEqual(5);
        // A tick is skipped only when the schedule moved on after its successor was due: on a failure,
        // how late the tick before the gap ran tells a starved machine from a bug.
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
        await tell(workers, { cmd: 'consume', queue: q, concurrency: 4, rateLimit: limit }, 'ready');
        const labels = Array.from({ length: 20 }, (_, i) => `r${i}`);
        await orchestrator.publishBatch(
          q,
          labels.map((label) => ({ label })),
        );
        await Promise.all(labels.map((label) => ranSomewhere(workers, q, label)));
        await tell(workers, { cmd: 'stop', queue: q }, 'stopped');

        const runs = runsOf(workers, q);
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
        const [controller, ...consumers] = workers;
        await tell(consumers, { cmd: 'consume', queue: q, concurrency: 2 }, 'ready');
        // The consumers work before the pause.
        await orchestrator.publish(q, { label: 'warm-up' });
        await ranSomewhere(consumers, q, 'warm-up');

        await tell([controller], { cmd: 'pause', queue: q }, 'paused');
        expect((await orchestrator.queueStats(q)).paused).toBe(true);
        const labels = ['p0', 'p1', 'p2', 'p3', 'p4'];
        for (const label of labels) await orchestrator.publish(q, { label });
        // Nothing can report that nothing ran: watch a while; a consumer ignoring the pause takes a job at once.
        await sleep(500);
        expect(runsOf(consumers, q).map((m) => m.label)).toEqual(['warm-up']);
        expect(await orchestrator.queueStats(q)).toMatchObject({ waiting: labels.length, active: 0, paused: true });

        await tell([controller], { cmd: 'resume', queue: q }, 'resumed');
        await Promise.all(labels.map((label) => ranSomewhere(consumers, q, label)));
        await tell(consumers, { cmd: 'stop', queue: q }, 'stopped');
        expect(
          runsOf(consumers, q)
            .map((m) => m.label as string)
            .sort(),
        ).toEqual(['warm-up', ...labels].sort());
        expect((await orchestrator.queueStats(q)).paused).toBe(false);
      },
      HANG_GUARD_MS,
    );
  });
}
