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
  counts: Omit<QueueStats, 'paused'>;
  /** Its consumers, in every process, take nothing until it is resumed (false where the backend cannot pause). */
  paused: boolean;
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
  /** What the page offers beyond jobs: pause/resume buttons, the schedules table. */
  capabilities: { pause: boolean; schedules: boolean };
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

/** One repeatable job as `GET <path>/api/schedules` lists it (ScheduleInfo, its dates as ISO-8601 UTC). */
export interface DashboardSchedule {
  queue: string;
  key: string;
  cron?: string;
  tz?: string;
  every?: number;
  /** When the tick enqueued now runs. */
  nextRunAt: string;
  payload: Record<string, unknown>;
  priority: number;
  updatedAt: string;
}

/** `POST <path>/api/queues/:queue/pause` and `…/resume`: whether the queue is paused now. */
export interface PauseAnswer {
  paused: boolean;
}
