import type { JobPage } from '../../backend/job-backend.interface';
import type { DeadLetter, JobState } from '../../backend/job-state';
import type { DeadLetters } from './dead-letters';
import type { QueueNames } from './rabbitmq.topology';

/** Where a dead letter's times are kept, when the client has a job store. */
interface JobStates {
  get(id: string): Promise<JobState | null>;
}

/**
 * A page of a queue's dead letters as job states: the messages are peeked (read, then given back in
 * their places), so reading page n reads the n - 1 before it too; `total` is the dead-letter queue's
 * message count. The message holds the record and its failure; a job store adds when the job started
 * and finished.
 */
export async function deadLetterPage(
  deadLetters: DeadLetters,
  names: QueueNames,
  offset: number,
  limit: number,
  jobStates: JobStates | null,
): Promise<JobPage> {
  const total = await deadLetters.count(names);
  const letters = offset >= total ? [] : (await deadLetters.list(names, offset + limit)).slice(offset);
  const jobs = await Promise.all(
    letters.map(async (letter) => stateOf(names.queue, letter, jobStates ? await jobStates.get(letter.job.id) : null)),
  );
  return { total, jobs };
}

function stateOf(queue: string, { job, error }: DeadLetter, stored: JobState | null): JobState {
  return {
    id: job.id,
    queue,
    name: job.name,
    status: 'dead',
    attempt: job.attempt,
    priority: job.priority,
    payload: job.payload,
    result: null,
    error,
    createdAt: job.createdAt,
    startedAt: stored?.startedAt ?? null,
    finishedAt: stored?.finishedAt ?? (error.failedAt || null),
    runAt: null,
    progress: null,
  };
}
