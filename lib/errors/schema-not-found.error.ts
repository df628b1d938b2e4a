import { JobsError } from './jobs.error';

export class SchemaNotFoundError extends JobsError {
  constructor(readonly queue: string) {
    super(
      `No schema is registered for queue "${queue}", so a raw input cannot be turned into a job — ` +
        `call orchestrator.register(schema) in this process, or publish a Job made with jobFromSchema()`,
    );
  }
}
