import { JobsError } from './jobs.error';

export class QueueNotDeclaredError extends JobsError {
  constructor(readonly queue: string) {
    super(`Queue "${queue}" is not declared — call orchestrator.register(schema) (or declareQueue) first`);
  }
}
