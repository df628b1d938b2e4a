import { JobsError } from '../errors/jobs.error';

/** JobsTester.drain gave up: a queue of the app still had jobs waiting or running. */
export class DrainTimeoutError extends JobsError {
  constructor(
    readonly timeoutMs: number,
    /** Each queue still busy, with what it held when the drain gave up. */
    readonly busy: { queue: string; waiting: number; active: number }[],
  ) {
    const queues = busy.map(({ queue, waiting, active }) => `"${queue}" (${waiting} waiting, ${active} running)`).join(', ');
    super(
      `Jobs were still waiting or running after ${timeoutMs} ms of drain(): ${queues} — is a run stuck, or does a consumer ` +
        'publish a new job for every job it runs? Give drain({ timeout }) more time if the jobs are slow',
    );
  }
}
