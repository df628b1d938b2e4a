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
  /**
   * Optional: the W3C trace context (`traceparent`, `tracestate`) of the publish that sent the job, so a
   * run's span joins the publisher's trace in any process. Set only when the publisher traces.
   */
  traceContext?: TraceContextCarrier;
  /** Optional: when a delayed job (delay / runAt) became due, ISO-8601 UTC; wait-time metrics start there. */
  dueAt?: string;
}

/** The W3C Trace Context headers, as they travel inside a job. */
export interface TraceContextCarrier {
  traceparent: string;
  tracestate?: string;
}
