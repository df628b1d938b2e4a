import { randomUUID } from 'node:crypto';
import {
  InvalidOptionError,
  JOB_STATUSES,
  QueueNotDeclaredError,
  UnsupportedCapabilityError,
  type JobRecord,
  type JobStatus,
  type Orchestrator,
} from '../../lib';
import { itIf, type ConformanceContext } from './conformance-context';

function record(label: string): JobRecord {
  return {
    id: randomUUID(),
    name: 'task',
    schemaName: 'task',
    payload: { label },
    createdAt: new Date().toISOString(),
    priority: 0,
    attempt: 0,
  };
}

function failure(attempt: number) {
  return { name: 'Error', message: 'boom', attempt, failedAt: new Date().toISOString() };
}

/**
 * A queue with a job in every state, built through the backend's own moves:
 * waiting [w, r0] (r0 failed, due again), delayed [r60, later] (r60 failed, in backoff), active [held],
 * failed [r0, r60], completed [done], dead [died].
 */
async function queueInEveryState(orchestrator: Orchestrator, queue: string) {
  const backend = orchestrator.backend;
  const jobs = {
    done: record('done'),
    died: record('died'),
    r60: record('r60'),
    r0: record('r0'),
    held: record('held'),
    w: record('w'),
    later: record('later'),
  };
  await orchestrator.declareQueue(queue, 'fifo');
  await backend.publish(
    queue,
    ['done', 'died', 'r60', 'r0', 'held', 'w'].map((label) => ({ job: jobs[label as keyof typeof jobs] })),
  );
  await backend.publish(queue, [{ job: jobs.later, runAt: Date.now() + 120_000 }]);
  const take = async (id: string) => {
    const [delivery] = await backend.fetch(queue, 1, { wait: false, leaseMs: 60_000 });
    expect(delivery?.job.id).toBe(id);
    return delivery;
  };
  await backend.complete(await take(jobs.done.id), { ok: true });
  await backend.deadLetter(await take(jobs.died.id), failure(1));
  await backend.retry(await take(jobs.r60.id), failure(1), 60_000);
  await backend.retry(await take(jobs.r0.id), failure(1), 0);
  await take(jobs.held.id);
  const ids = (...names: (keyof typeof jobs)[]) => names.map((name) => jobs[name].id);
  const expected: Record<JobStatus, string[]> = {
    waiting: ids('w', 'r0'),
    delayed: ids('r60', 'later'),
    active: ids('held'),
    failed: ids('r0', 'r60'),
    completed: ids('done'),
    dead: ids('died'),
  };
  return { jobs, expected };
}

/** listQueues and listJobs: what a dashboard or the CLI shows, on every backend as far as it can. */
export function listingCases(ctx: ConformanceContext): void {
  const listable = ctx.capabilities.jobListing ?? [];
  const unlistable = JOB_STATUSES.filter((state) => !listable.includes(state));

  itIf(ctx.capabilities.queueListing === true, 'no queue listing')(
    'listQueues names every declared queue with its type, until it is deleted',
    async () => {
      const orchestrator = ctx.orchestrator();
      const [a, b] = [ctx.queueName('list-a'), ctx.queueName('list-b')];
      await orchestrator.declareQueue(b, ctx.capabilities.queueTypes.includes('priority') ? 'priority' : 'fifo');
      await orchestrator.declareQueue(a, 'fifo');
      // Another client sees them too where queues are shared.
      const queues = await orchestrator.listQueues();
      const mine = queues.filter((q) => q.name === a || q.name === b);
      expect(mine).toEqual(
        [
          { name: a, type: 'fifo' },
          { name: b, type: ctx.capabilities.queueTypes.includes('priority') ? 'priority' : 'fifo' },
        ].sort((x, y) => (x.name < y.name ? -1 : 1)),
      );
      const names = queues.map((q) => q.name);
      expect(names).toEqual([...names].sort());
      await orchestrator.deleteQueue(a);
      expect((await orchestrator.listQueues()).map((q) => q.name)).not.toContain(a);
    },
  );

  itIf(ctx.capabilities.queueListing !== true, 'lists queues')(
    'listQueues without the capability throws UnsupportedCapabilityError',
    async () => {
      await expect(ctx.orchestrator().listQueues()).rejects.toBeInstanceOf(UnsupportedCapabilityError);
    },
  );

  itIf(listable.length > 0, 'lists no jobs')(
    'listJobs lists each listable state in its order, with totals that match queueStats',
    async () => {
      const orchestrator = ctx.orchestrator();
      const queue = ctx.queueName('states');
      const { expected } = await queueInEveryState(orchestrator, queue);
      for (const state of listable) {
        const page = await orchestrator.listJobs(queue, { state });
        expect({ state, ids: page.jobs.map((job) => job.id), total: page.total }).toEqual({
          state,
          ids: expected[state],
          total: expected[state].length,
        });
        for (const job of page.jobs) expect(job.queue).toBe(queue);
      }
      if (ctx.capabilities.jobState) {
        const stats = await orchestrator.queueStats(queue);
        for (const state of listable)
          if (state !== 'failed')
            expect({ state, total: (await orchestrator.listJobs(queue, { state })).total }).toEqual({ state, total: stats[state] });
      }
    },
  );

  itIf(listable.includes('waiting') && listable.includes('failed'), 'cannot list waiting and failed jobs')(
    'a listed job carries its status: a retry due again is waiting with status failed and its error',
    async () => {
      const orchestrator = ctx.orchestrator();
      const queue = ctx.queueName('status');
      const { jobs } = await queueInEveryState(orchestrator, queue);
      const waiting = (await orchestrator.listJobs(queue, { state: 'waiting' })).jobs;
      expect(waiting.map((job) => [job.id, job.status])).toEqual([
        [jobs.w.id, 'waiting'],
        [jobs.r0.id, 'failed'],
      ]);
      expect(waiting[1]).toMatchObject({ payload: { label: 'r0' }, error: { name: 'Error', message: 'boom' } });
    },
  );

  itIf(listable.includes('dead'), 'cannot list dead letters')(
    'dead jobs page oldest first with their errors, and redrive empties the page',
    async () => {
      const orchestrator = ctx.orchestrator();
      const queue = ctx.queueName('dead-pages');
      await orchestrator.declareQueue(queue, 'fifo');
      const records = ['a', 'b', 'c', 'd', 'e'].map(record);
      await orchestrator.backend.publish(
        queue,
        records.map((job) => ({ job })),
      );
      for (const job of records) {
        const [delivery] = await orchestrator.backend.fetch(queue, 1, { wait: false, leaseMs: 60_000 });
        expect(delivery.job.id).toBe(job.id);
        await orchestrator.backend.deadLetter(delivery, failure(1));
      }
      const page = await orchestrator.listJobs(queue, { state: 'dead', offset: 1, limit: 2 });
      expect(page.total).toBe(5);
      expect(page.jobs.map((job) => job.payload.label)).toEqual(['b', 'c']);
      expect(page.jobs.map((job) => job.status)).toEqual(['dead', 'dead']);
      expect(page.jobs[0].error).toMatchObject({ name: 'Error', message: 'boom', attempt: 1 });
      expect((await orchestrator.listJobs(queue, { state: 'dead', offset: 5 })).jobs).toEqual([]);
      expect(await orchestrator.redrive(queue, { ids: [records[1].id] })).toBe(1);
      expect((await orchestrator.listJobs(queue, { state: 'dead' })).jobs.map((job) => job.payload.label)).toEqual(['a', 'c', 'd', 'e']);
    },
  );

  itIf(listable.length > 0, 'lists no jobs')('listJobs of an undeclared queue throws QueueNotDeclaredError', async () => {
    await expect(ctx.orchestrator().listJobs(ctx.queueName('nowhere'), { state: listable[0] })).rejects.toBeInstanceOf(
      QueueNotDeclaredError,
    );
  });

  itIf(unlistable.length > 0, 'lists every state')(
    'listJobs of a state the backend cannot list throws UnsupportedCapabilityError naming it',
    async () => {
      const orchestrator = ctx.orchestrator();
      const queue = ctx.queueName('unlistable');
      await orchestrator.declareQueue(queue, 'fifo');
      const error = await orchestrator.listJobs(queue, { state: unlistable[0] }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UnsupportedCapabilityError);
      expect((error as Error).message).toContain(unlistable[0]);
    },
  );

  it('listJobs refuses bad options with InvalidOptionError before asking the backend', async () => {
    const orchestrator = ctx.orchestrator();
    const queue = ctx.queueName('bad-options');
    await orchestrator.declareQueue(queue, 'fifo');
    const bad: unknown[] = [
      {},
      { state: 'finished' },
      { state: 'dead', limit: 0 },
      { state: 'dead', limit: 1001 },
      { state: 'dead', offset: -1 },
      { state: 'dead', offset: 1.5 },
      { state: 'dead', page: 2 },
      null,
    ];
    for (const options of bad) {
      await expect(orchestrator.listJobs(queue, options as never)).rejects.toBeInstanceOf(InvalidOptionError);
    }
  });
}
