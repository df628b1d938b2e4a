import type { JobRecord } from '../backend/job-record';

/**
 * A job: its identity, its payload and where it is in its life. `jobFromSchema` makes one with a
 * validated DTO as payload; a consumer's run receives one whose payload is the input DTO again.
 */
export class Job<P = Record<string, unknown>> {
  constructor(
    readonly id: string,
    readonly name: string,
    readonly schemaName: string,
    readonly payload: P,
    readonly createdAt: string,
    /** Higher runs first on a priority queue. */
    readonly priority = 0,
    /** 0 before the first run; 1 during the first run, 2 during the first retry, … */
    readonly attempt = 0,
  ) {}

  /** Rebuilds a job from its wire form around an already converted payload. */
  static fromRecord<P>(record: JobRecord, payload: P): Job<P> {
    return new Job(record.id, record.name, record.schemaName, payload, record.createdAt, record.priority, record.attempt);
  }
}
