import type { ConsumerLoopState } from '../../consumer/consumer-loop-status';

export type HealthStatus = 'up' | 'down';

/** What `orchestrator.health(options)` checks besides the backend and the consumers' loops. */
export interface HealthOptions {
  /** How long the backend may take to answer. Default 5000 ms. */
  timeoutMs?: number;
  /**
   * A running consumer reads down when jobs wait on its queue and it has taken none for this long
   * (a wedged loop: the broker answers, the consumer does not take). Set it above your longest run.
   * Default 60000 ms.
   */
  maxIdleMs?: number;
  /** A queue reads down when more jobs than this wait in it. Default: no limit. */
  maxWaiting?: number;
  /** A queue reads down when it holds more dead letters than this. Default: no limit. */
  maxDead?: number;
  /** The queues to check. Default: those declared through the orchestrator and those its consumers take from. */
  queues?: readonly string[];
}

/** One consumer's loop as the health check found it. */
export interface ConsumerHealth {
  queue: string;
  /** The consumer's class name. */
  consumer: string;
  status: HealthStatus;
  state: ConsumerLoopState;
  concurrency: number;
  /** Jobs it holds now (taken ahead, running or settling). */
  heldJobs: number;
  /** Runs it gave up on after their timeout that have not returned yet (`maxAbandonedRuns` bounds them). */
  abandonedRuns: number;
  /** When it last took a job (as first seen by a health check), or (re)started: ISO-8601 UTC. */
  lastTakenAt: string;
  /** Why it is down. */
  reason?: string;
}

/** One queue's counts, and whether they pass the thresholds. */
export interface QueueHealth {
  queue: string;
  status: HealthStatus;
  waiting: number;
  delayed: number;
  active: number;
  dead: number;
  reason?: string;
}

/** What `orchestrator.health()` returns: `status` is down when anything below is. */
export interface JobsHealthReport {
  status: HealthStatus;
  backend: { name: string; status: HealthStatus; error?: string };
  consumers: ConsumerHealth[];
  queues: QueueHealth[];
}
