import type { Delivery } from '../../lib';
import { HELD_STATES, RUN_STATES, TRANSITIONS, type HeldJobState } from '../../lib/consumer/held-job';
import { HeldJobs } from '../../lib/consumer/held-jobs';

function delivery(id: string): Delivery {
  return {
    queue: 'q',
    token: id,
    job: { id, name: 'q', schemaName: 'q', payload: {}, createdAt: new Date(0).toISOString(), priority: 0, attempt: 1 },
  };
}

/** A ledger that records what it tells the worker. */
function ledger() {
  const changes: number[] = [];
  const letGo: string[] = [];
  let n = 0;
  const jobs = new HeldJobs(
    () => void changes.push(++n),
    (d) => void letGo.push(d.job.id),
  );
  return { jobs, changes, letGo };
}

const counts = (jobs: HeldJobs) => ({ prefetched: jobs.prefetched, runs: jobs.runs, held: jobs.held, abandoned: jobs.abandoned });

describe('HeldJobs', () => {
  it('derives every count from the states of its jobs', () => {
    const { jobs } = ledger();
    jobs.take([delivery('a'), delivery('b'), delivery('c')]);
    expect(counts(jobs)).toEqual({ prefetched: 3, runs: 0, held: 0, abandoned: 0 });

    const a = jobs.startNext();
    const b = jobs.startNext();
    expect([a.delivery.job.id, b.delivery.job.id]).toEqual(['a', 'b']);
    expect(counts(jobs)).toEqual({ prefetched: 1, runs: 2, held: 2, abandoned: 0 });

    jobs.move(a, 'settling');
    expect(counts(jobs)).toEqual({ prefetched: 1, runs: 1, held: 2, abandoned: 0 });

    jobs.move(b, 'overrun');
    jobs.move(b, 'released');
    expect(counts(jobs)).toEqual({ prefetched: 1, runs: 1, held: 1, abandoned: 0 });

    jobs.move(b, 'abandoned');
    jobs.move(a, 'done');
    expect(counts(jobs)).toEqual({ prefetched: 1, runs: 0, held: 0, abandoned: 1 });
  });

  it('refuses a move TRANSITIONS does not list, naming the job and both states, and changes nothing', () => {
    const { jobs } = ledger();
    jobs.take([delivery('a')]);
    const a = jobs.startNext();
    jobs.move(a, 'settling');

    expect(() => jobs.move(a, 'running')).toThrow('job a on queue "q" cannot go from settling to running');
    expect(a.state).toBe('settling');
    expect(counts(jobs)).toEqual({ prefetched: 0, runs: 0, held: 1, abandoned: 0 });
  });

  it('lists every state in TRANSITIONS, and done leads nowhere', () => {
    const states: HeldJobState[] = ['prefetched', 'running', 'settling', 'overrun', 'lost', 'releasing', 'released', 'abandoned', 'done'];
    expect(Object.keys(TRANSITIONS).sort()).toEqual([...states].sort());
    expect(TRANSITIONS.done).toEqual([]);
    for (const state of [...HELD_STATES, ...RUN_STATES]) expect(states).toContain(state);
    // Every state but done can reach done, so no job is kept forever by the worker's own rules.
    for (const from of states.filter((s) => s !== 'done')) {
      const seen = new Set<HeldJobState>([from]);
      const next: HeldJobState[] = [from];
      while (next.length > 0) {
        for (const to of TRANSITIONS[next.pop()!]) {
          if (seen.has(to)) continue;
          seen.add(to);
          next.push(to);
        }
      }
      expect([from, seen.has('done')]).toEqual([from, true]);
    }
  });

  it('settles what consume()/stop() wait for when a job stops being held, and forgets its lease then, once', async () => {
    const { jobs, letGo } = ledger();
    jobs.take([delivery('a'), delivery('b')]);
    const a = jobs.startNext();
    const b = jobs.startNext();
    let waited = false;
    const all = jobs.allSettled().then(() => (waited = true));

    jobs.move(a, 'settling');
    jobs.move(a, 'done');
    jobs.move(b, 'releasing');
    await Promise.resolve();
    expect(waited).toBe(false);
    expect(letGo).toEqual(['a']);

    // Given back, its run still going: no longer held, though it keeps its slot.
    jobs.move(b, 'released');
    await all;
    expect(waited).toBe(true);
    expect(jobs.runs).toBe(1);
    jobs.move(b, 'done');
    expect(letGo).toEqual(['a', 'b']);
  });

  it('rejects the wait with the error a job was let go with (a bug in the worker)', async () => {
    const { jobs } = ledger();
    jobs.take([delivery('a')]);
    const a = jobs.startNext();
    const all = jobs.allSettled();
    jobs.move(a, 'done', new Error('pipeline bug'));
    await expect(all).rejects.toThrow('pipeline bug');
  });

  it('keeps a bug reported on a job no longer held (released → done) for the next allSettled, once', async () => {
    const { jobs } = ledger();
    jobs.take([delivery('a')]);
    const a = jobs.startNext();
    jobs.move(a, 'releasing');
    jobs.move(a, 'released');
    jobs.move(a, 'done', new Error('late bug'));
    await expect(jobs.noneHeld()).resolves.toBeUndefined();
    await expect(jobs.allSettled()).rejects.toThrow('late bug');
    await expect(jobs.allSettled()).resolves.toBeUndefined();
  });

  it('rejects nothing nobody awaits when a job is let go with a bug', async () => {
    const unhandled: unknown[] = [];
    const listener = (reason: unknown) => void unhandled.push(reason);
    process.on('unhandledRejection', listener);
    try {
      const { jobs } = ledger();
      jobs.take([delivery('a')]);
      jobs.move(jobs.startNext(), 'done', new Error('pipeline bug'));
      await new Promise((resolve) => setImmediate(resolve));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', listener);
    }
  });

  it('tells the worker when a slot or a held job frees, or an abandoned run returns — not on other moves', () => {
    const { jobs, changes } = ledger();
    jobs.take([delivery('a'), delivery('b')]);
    const a = jobs.startNext();
    expect(changes).toHaveLength(0);
    jobs.move(a, 'lost'); // still held, still running
    expect(changes).toHaveLength(0);
    jobs.move(a, 'released'); // let go
    expect(changes).toHaveLength(1);
    jobs.move(a, 'abandoned'); // slot freed
    expect(changes).toHaveLength(2);
    jobs.move(a, 'done'); // an abandoned run returned
    expect(changes).toHaveLength(3);

    const b = jobs.startNext();
    jobs.move(b, 'settling'); // slot freed
    jobs.move(b, 'done'); // let go
    expect(changes).toHaveLength(5);
  });

  it('finds a job by its delivery, prefetched or started; a dropped prefetched job leaves the line', () => {
    const { jobs } = ledger();
    const [da, db, dc] = [delivery('a'), delivery('b'), delivery('c')];
    jobs.take([da, db, dc]);
    const a = jobs.startNext();
    expect(jobs.find(da)).toBe(a);
    const b = jobs.find(db)!;
    expect(b.state).toBe('prefetched');

    jobs.move(b, 'done');
    expect(jobs.find(db)).toBeUndefined();
    expect(jobs.prefetched).toBe(1);
    expect(jobs.startNext().delivery).toBe(dc);
    expect(jobs.takeBackPrefetched()).toEqual([]);
  });
});
