import { JobsError } from './jobs.error';

export class BackendClosedError extends JobsError {
  constructor(readonly backend: string) {
    super(`${backend} is closed — create a new client (and orchestrator) to go on`);
  }
}
