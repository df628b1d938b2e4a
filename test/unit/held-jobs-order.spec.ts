import type { Delivery } from '../../lib';
import { HeldJobs } from '../../lib/consumer/held-jobs';

function delivery(id: string): Delivery {
  return {
    queue: 'q',
    token: id,
    job: { id, name: 'q', schemaName: 'q', payload: {}, createdAt: new Date(0).toISOString(), priority: 0, attempt: 1 },
  };
}

const ids = (jobs: { delivery: Delivery }[]) => jobs.map((job) => job.delivery.job.id);

describe('HeldJobs order', () => {
  it('starts prefetched jobs oldest first across many takes, and gives back exactly those not started', () => {
    const jobs = new HeldJobs(
      () => undefined,
      () => undefined,
    );
    const started: string[] = [];
    let next = 0;
    // Takes run ahead of starts, so the line's head moves far past its start and the line compacts.
    for (let round = 0; round < 50; round++) {
      jobs.take(Array.from({ length: 7 }, () => delivery(String(next++))));
      for (let i = 0; i < 5; i++) {
        const job = jobs.startNext();
        started.push(job.delivery.job.id);
        jobs.move(job, 'settling');
        jobs.move(job, 'done');
      }
    }
    expect(started).toEqual(Array.from({ length: 250 }, (_, i) => String(i)));
    const lineFirst = jobs.startNext();
    expect(lineFirst.delivery.job.id).toBe('250');
    expect(jobs.prefetched).toBe(99);
    const back = jobs.takeBackPrefetched();
    expect(ids(back)).toEqual(Array.from({ length: 99 }, (_, i) => String(251 + i)));
    expect(jobs.prefetched).toBe(0);

    jobs.take([delivery('a'), delivery('b')]);
    expect(jobs.startNext().delivery.job.id).toBe('a');
    expect(jobs.prefetched).toBe(1);
  });

  it('finds a prefetched job at or behind the head, and drops it from the line without disturbing the order', () => {
    const jobs = new HeldJobs(
      () => undefined,
      () => undefined,
    );
    const taken = ['a', 'b', 'c', 'd'].map(delivery);
    jobs.take(taken);
    jobs.startNext();
    const c = jobs.find(taken[2])!;
    expect(c.state).toBe('prefetched');
    jobs.move(c, 'done');
    expect(jobs.find(taken[2])).toBeUndefined();
    const b = jobs.find(taken[1])!;
    jobs.move(b, 'done');
    expect(jobs.startNext().delivery.job.id).toBe('d');
    expect(jobs.prefetched).toBe(0);
  });

  it('lists started jobs oldest first, and keeps that order when jobs in the middle and at both ends finish', () => {
    const jobs = new HeldJobs(
      () => undefined,
      () => undefined,
    );
    const taken = ['a', 'b', 'c', 'd', 'e'].map(delivery);
    jobs.take(taken);
    const [a, b, c, d, e] = taken.map(() => jobs.startNext());
    expect(ids(jobs.inState('running'))).toEqual(['a', 'b', 'c', 'd', 'e']);
    for (const job of [c, a, e]) {
      jobs.move(job, 'settling');
      jobs.move(job, 'done');
    }
    expect(ids(jobs.inState('running'))).toEqual(['b', 'd']);
    expect(jobs.find(taken[0])).toBeUndefined();
    expect(jobs.find(taken[3])).toBe(d);
    jobs.take([delivery('f')]);
    const f = jobs.startNext();
    jobs.move(b, 'lost');
    expect(ids(jobs.inState('running', 'lost'))).toEqual(['b', 'd', 'f']);
    for (const job of [b, d, f]) jobs.move(job, 'done');
    expect(jobs.inState('running', 'lost', 'settling')).toEqual([]);
    expect(jobs.runs).toBe(0);
  });

  it('keeps the older started jobs when two neighbours finish one after the other', () => {
    const jobs = new HeldJobs(
      () => undefined,
      () => undefined,
    );
    jobs.take(['a', 'b', 'c'].map(delivery));
    const [, b, c] = [jobs.startNext(), jobs.startNext(), jobs.startNext()];
    jobs.move(b, 'done');
    jobs.move(c, 'done');
    expect(ids(jobs.inState('running'))).toEqual(['a']);
    jobs.take([delivery('d')]);
    jobs.startNext();
    expect(ids(jobs.inState('running'))).toEqual(['a', 'd']);
  });
});
