import { DEFAULT_RETENTION, type JobState, type ResolvedRetention } from '../../lib';
import { FinishedJobs } from '../../lib/backends/local/finished-jobs';

/** A job that carries its own entry, found by id through its owner's map, as LocalClient's jobs are. */
interface OwnJob {
  id: string;
  queue: string;
  status: 'active' | 'waiting' | 'completed' | 'dead';
  finishedAt: number | null;
  removed: boolean;
}

function setUp(retention: Partial<ResolvedRetention> = {}) {
  const jobs = new Map<string, OwnJob>();
  const dropped: string[] = [];
  const finished = new FinishedJobs<OwnJob, OwnJob>({
    retention: { ...DEFAULT_RETENTION, ...retention },
    snapshot: (job) => ({ id: job.id, status: job.status }) as JobState,
    onDropped: (id) => {
      dropped.push(id);
      jobs.delete(id);
    },
    index: {
      find: (id) => {
        const job = jobs.get(id);
        return job && (job.status === 'completed' || job.status === 'dead') ? job : undefined;
      },
      enter: (_id, _queue, _kind, job) => job,
      leave: () => undefined,
      idOf: (job) => job.id,
      itemOf: (job) => job,
    },
  });
  const job = (id: string): OwnJob => {
    const made: OwnJob = { id, queue: 'q', status: 'active', finishedAt: null, removed: false };
    jobs.set(id, made);
    return made;
  };
  /** Finishes the job as the owner does: its status and time first, then FinishedJobs. */
  const finish = (made: OwnJob, kind: 'completed' | 'dead') => {
    made.status = kind;
    made.finishedAt = Date.now();
    finished.add(made.queue, kind, made.id, made, made.finishedAt);
  };
  /** Redrives (or reruns) the job as the owner does: FinishedJobs lets go first, then its status changes. */
  const rerun = (made: OwnJob) => {
    finished.remove(made.id);
    made.status = 'waiting';
    made.finishedAt = null;
  };
  const ids = (kind: 'completed' | 'dead') => finished.list('q', kind).map((listed) => listed.id);
  return { finished, jobs, dropped, job, finish, rerun, ids };
}

describe('FinishedJobs over jobs that carry their own entry', () => {
  it('keeps the newest `count` per kind, finds jobs through the owner, and lets the owner forget dropped ones', async () => {
    const { finished, jobs, dropped, job, finish, ids } = setUp({ completed: { count: 2, ageMs: Infinity } });
    for (const id of ['a', 'b', 'c']) finish(job(id), 'completed');
    expect(dropped).toEqual(['a']);
    expect(jobs.has('a')).toBe(false);
    expect(ids('completed')).toEqual(['b', 'c']);
    expect(finished.has('q', 'completed', 'b')).toBe(true);
    expect(finished.has('q', 'dead', 'b')).toBe(false);
    await expect(finished.waitFor('c', new AbortController().signal)).resolves.toMatchObject({ id: 'c', status: 'completed' });
  });

  it('a job redriven while others are listed, then finishing again, is listed once, at the back', () => {
    const { finished, job, finish, rerun, ids } = setUp({ dead: { count: 10, ageMs: Infinity } });
    const [a, b, c] = ['a', 'b', 'c'].map(job);
    for (const made of [a, b, c]) finish(made, 'dead');
    rerun(b);
    expect(ids('dead')).toEqual(['a', 'c']);
    finish(b, 'dead');
    expect(ids('dead')).toEqual(['a', 'c', 'b']);
    expect(finished.count('q', 'dead')).toBe(3);
    rerun(b);
    finish(b, 'completed');
    expect(ids('dead')).toEqual(['a', 'c']);
    expect(ids('completed')).toEqual(['b']);
  });

  it('counts a redriven job out of retention: a job finishing after it drops the right ones', () => {
    const { dropped, job, finish, rerun, ids } = setUp({ dead: { count: 2, ageMs: Infinity } });
    const [a, b, c] = ['a', 'b', 'c'].map(job);
    finish(a, 'dead');
    finish(b, 'dead');
    rerun(a);
    finish(c, 'dead');
    expect(dropped).toEqual([]);
    finish(a, 'dead');
    expect(dropped).toEqual(['b']);
    expect(ids('dead')).toEqual(['c', 'a']);
  });

  it('forgets a job before its owner does: waits for it end, and it is no longer listed', async () => {
    const { finished, jobs, job, finish, ids } = setUp();
    const [a, b] = ['a', 'b'].map(job);
    finish(a, 'completed');
    const waiting = finished.waitFor('b', new AbortController().signal);
    finished.forget('b');
    jobs.delete('b');
    await expect(waiting).rejects.toThrow(/b/);
    finished.forget('a');
    jobs.delete('a');
    expect(ids('completed')).toEqual([]);
    expect(b.status).toBe('active');
  });
});
