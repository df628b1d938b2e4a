import { JobsError } from './jobs.error';

/** The backend cannot do this; the message says which backend can, or what to configure. */
export class UnsupportedCapabilityError extends JobsError {
  constructor(
    readonly backend: string,
    readonly capability: string,
    readonly suggestion: string,
  ) {
    super(`${backend} does not support ${capability} — ${suggestion}`);
  }
}
