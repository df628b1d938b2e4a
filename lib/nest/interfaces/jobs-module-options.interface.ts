import type { JobBackend } from '../../backend/job-backend.interface';
import type { QueueType } from '../../backend/queue-type';
import type { JobSchema } from '../../job/job-schema';
import type { JobInstrumentation } from '../../observability/job-instrumentation';
import type { ScheduleRegistration } from './schedule-registration.interface';

/** A schema to register at start-up, with its queue type when it is not 'fifo'. */
export type SchemaRegistration = JobSchema<any, any> | { schema: JobSchema<any, any>; queueType?: QueueType };

/**
 * Makes the backend of one app: called when that app is built, so an app module can be built and
 * closed again and again (a test per app) and a test that overrides JOBS_BACKEND never makes it.
 */
export type JobBackendFactory = () => JobBackend;

export interface JobsModuleOptions {
  /**
   * The backend every queue of this app uses (LocalClient, RedisClient or RabbitMQClient), or a
   * function that makes it — `() => new LocalClient()` — which each app built from the module calls
   * once. Required. The app closes its backend when it closes.
   */
  backend: JobBackend | JobBackendFactory;
  /** Schemas to register (and queues to declare) before the consumers start. */
  schemas?: SchemaRegistration[];
  /**
   * Repeatable jobs to upsert at bootstrap, after the schemas are registered and before the consumers
   * start (next to `@Schedule` on consumers). A schedule left out later stays stored: remove it with
   * `orchestrator.unschedule(queue, key)`.
   */
  schedules?: ScheduleRegistration[];
  /** At shutdown, how long to wait for running jobs before giving them back to their queue. Default 10000 ms. */
  shutdownTimeout?: number;
  /**
   * Answer HTTP requests whose handler threw JobValidationError or JobBatchValidationError with
   * 400 and the violations (a global exception filter). Default true; false leaves them to your own filters.
   */
  httpErrors?: boolean;
  /** The largest payload publish accepts, in bytes of its JSON (the Orchestrator's option). Default 1 MiB. */
  maxPayloadBytes?: number;
  /** What observes publishes and runs (the Orchestrator's option): `[new JobTracing(), new JobMetrics({ registry })]`. Default none. */
  instrumentation?: readonly JobInstrumentation[];
}

/** The options after checking, with every default filled in. */
export type ResolvedJobsModuleOptions = Required<JobsModuleOptions>;
