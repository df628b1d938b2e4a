/**
 * A job as it travels through a backend: plain JSON, readable from any language.
 * This is the wire format documented in docs/api.md.
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
  /**
   * Optional: set on the job a schedule publishes for one of its ticks (see ScheduleRecord): the
   * schedule's key and the tick (epoch ms). The consumer that takes it enqueues the schedule's next tick.
   */
  schedule?: ScheduleTick;
  /** Optional: when a delayed job (delay / runAt) became due, ISO-8601 UTC; wait-time metrics start there. */
  dueAt?: string;
}

/** Which tick of which schedule a job was published for. */
export interface ScheduleTick {
  key: string;
  /** The tick, epoch milliseconds. */
  at: number;
}

/** The W3C Trace Context headers, as they travel inside a job. */
export interface TraceContextCarrier {
  traceparent: string;
  tracestate?: string;
}
