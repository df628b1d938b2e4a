import type { QueueStats } from '../backend/job-state';
import type { JobStatus } from '../backend/job-state';
import type { QueueType } from '../backend/queue-type';
import type { ConsumerLoopState } from '../consumer/consumer-loop-status';

/** A consumer of this app taking from the queue (consumers in other processes are not seen). */
export interface DashboardConsumer {
  consumer: string;
  state: ConsumerLoopState;
  concurrency: number;
  heldJobs: number;
  /** ISO-8601 UTC: when it last took a job, or (re)started. */
  lastTakenAt: string;
}

/** One queue as `GET <path>/api/queues/:queue` and the overview show it. */
export interface DashboardQueue {
  name: string;
  /** null when the backend no longer holds the queue (deleted since it was declared here). */
  type: QueueType | null;
  counts: QueueStats;
  consumers: DashboardConsumer[];
}

/** `GET <path>/api/overview`: what the page's queue list shows. */
export interface DashboardOverview {
  backend: string;
  readOnly: boolean;
  /**
   * Where the queue list comes from: `backend` (every queue it holds) or `app` (the queues this app
   * declared or consumes: RabbitMQ cannot name its queues without its management API).
   */
  queueSource: 'backend' | 'app';
  /** The states whose jobs the backend can list (RabbitMQ: dead only). */
  listableStates: readonly JobStatus[];
  queues: DashboardQueue[];
}

/** `POST <path>/api/queues/:queue/redrive`: how many dead letters went back to waiting. */
export interface RedriveAnswer {
  redriven: number;
}

/** `POST <path>/api/queues/:queue/purge-dead`: how many dead letters were deleted. */
export interface PurgeAnswer {
  purged: number;
}
