/**
 * A job as it travels through a backend: plain JSON, readable from any language.
 * This is the wire format documented in the README.
 */
export interface JobRecord {
  /** UUID, fixed for the job's whole life (retries and redrives keep it). */
  id: string;
  /** The job's name; `jobFromSchema` sets it to the schema's name. */
  name: string;
  schemaName: string;
  /** The validated input DTO as plain JSON. */
  payload: Record<string, unknown>;
  /** ISO-8601 UTC. */
  createdAt: string;
  /** Higher runs first on a priority queue; 0 elsewhere. */
  priority: number;
  /** Runs started so far: 0 while waiting for its first run, 1 during the first run, and so on. */
  attempt: number;
}
