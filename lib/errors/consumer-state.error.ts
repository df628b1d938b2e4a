import { JobsError } from './jobs.error';

/** A consumer was used out of order: consumed before connect, connected twice, consumed twice at once. */
export class ConsumerStateError extends JobsError {}
