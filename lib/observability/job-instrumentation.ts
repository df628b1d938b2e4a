import type { PublishItem } from '../backend/job-backend.interface';
import type { JobRecord } from '../backend/job-record';
import type { JobProgress } from '../backend/job-state';
import type { Orchestrator } from '../orchestrator/orchestrator';

/** One run as an instrumentation sees it: the handler runs `within` it, then `end` says how the attempt went. */
export interface RunScope {
  /** Calls `run(job, context)` inside the scope (a span's context); the arguments are passed, not closed over, so a run costs no closure. */
  within<A, B, T>(run: (job: A, context: B) => T, job: A, context: B): T;
  /** Called once, with the error when the attempt failed. */
  end(error?: unknown): void;
  /** The run reported progress (`context.progress(value)`), already checked and stored. */
  progress?(value: JobProgress): void;
}

/**
 * What observes jobs on their way through an Orchestrator and its consumers: JobTracing, JobMetrics,
 * or your own. Give them as `new Orchestrator(backend, { instrumentation: [...] })`; every hook is
 * optional, and an orchestrator without any pays nothing for them.
 */
export interface JobInstrumentation {
  /** Called once by the orchestrator it is given to, before any job moves. */
  attach?(orchestrator: Orchestrator): void;
  /**
   * Before `items` are sent to `queue`; may add to their records (a trace context). The function returned is
   * called once the backend holds them, or with the error if the publish failed; `duplicate` is true when a
   * deduplicated publish enqueued nothing (another job holds its key).
   */
  publishing?(queue: string, items: readonly PublishItem[]): (error?: unknown, duplicate?: boolean) => void;
  /** Dead letters were put back on `queue`. */
  redriven?(queue: string, count: number): void;
  /** A consumer is about to run `record`. */
  running?(queue: string, record: JobRecord): RunScope;
}
