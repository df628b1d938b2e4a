import { JobsError } from './jobs.error';

/** Throw from a run to skip the remaining attempts: the job goes straight to the dead-letter queue. */
export class UnrecoverableError extends JobsError {}
