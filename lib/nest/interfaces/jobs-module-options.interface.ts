import type { JobBackend } from '../../backend/job-backend.interface';
import type { QueueType } from '../../backend/queue-type';
import type { JobSchema } from '../../job/job-schema';

/** A schema to register at start-up, with its queue type when it is not 'fifo'. */
export type SchemaRegistration = JobSchema<any, any> | { schema: JobSchema<any, any>; queueType?: QueueType };

export interface JobsModuleOptions {
  /** The backend every queue of this app uses: LocalClient, RedisClient or RabbitMQClient. Required. */
  backend: JobBackend;
  /** Schemas to register (and queues to declare) before the consumers start. */
  schemas?: SchemaRegistration[];
  /** At shutdown, how long to wait for running jobs before giving them back to their queue. Default 10000 ms. */
  shutdownTimeout?: number;
  /**
   * Answer HTTP requests whose handler threw JobValidationError or JobBatchValidationError with
   * 400 and the violations (a global exception filter). Default true; false leaves them to your own filters.
   */
  httpErrors?: boolean;
}

/** The options after checking, with every default filled in. */
export type ResolvedJobsModuleOptions = Required<JobsModuleOptions>;
