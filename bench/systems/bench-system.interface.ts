import type { BenchJob } from '../bench-job';
import type { SystemName } from './system-names';

/** Where the servers are, and the run id every queue, key prefix and exchange of this run is named after. */
export interface BenchContext {
  runId: string;
  redisUrl: string;
  amqpUrl: string;
}

export interface ConsumeHandlers {
  /** Called once per delivery, as the job's run starts; the job is settled (acked) after it returns. */
  onJob(job: BenchJob): void;
  /** Something that will lose or repeat a job happened (a failed run, a connection error). */
  onError(error: Error): void;
}

/** The consumers `consume` started. */
export interface RunningConsumers {
  /** Stops taking jobs; resolves once the running ones are settled. */
  drain(): Promise<void>;
}

/** One queue on one system, opened for one measured case (or by one pipeline consumer process). */
export interface BenchQueue {
  /** Resolves once the system holds the job (Redis replied, the broker confirmed). */
  publish(job: BenchJob): Promise<void>;
  /** The same, for many jobs in one call. */
  publishBatch(jobs: readonly BenchJob[]): Promise<void>;
  /** Starts consumers running up to `concurrency` jobs at once; resolves once they are taking jobs. */
  consume(concurrency: number, handlers: ConsumeHandlers): Promise<RunningConsumers>;
  /** Closes this process's connections and leaves the queue as it is (a pipeline consumer process). */
  close(): Promise<void>;
  /** Deletes the queue and everything it left in the servers, then closes. */
  teardown(): Promise<void>;
}

/** One adapter per system, all behind this interface, so every scenario drives every system the same way. */
export interface BenchSystem {
  readonly name: SystemName;
  /** What exactly is measured, in one line. */
  readonly description: string;
  /** Caveats printed with the results. */
  readonly notes: readonly string[];
  /** False for a backend that lives inside one process (Local): its pipeline runs in-process. */
  readonly multiProcess: boolean;
  /** null when the system can run here; otherwise why not (reported as "not available"). */
  probe(context: BenchContext): Promise<string | null>;
  open(queue: string, context: BenchContext): Promise<BenchQueue>;
}
