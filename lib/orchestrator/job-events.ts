import { Logger } from '../logger/logger';
import type { JobRecord } from '../backend/job-record';
import type { JobFailure, JobProgress } from '../backend/job-state';

/** The lifecycle events of jobs this process handles, and what each carries. */
export interface JobEventMap {
  /** A consumer took the job and is about to run it. */
  active: { queue: string; job: JobRecord };
  completed: { queue: string; job: JobRecord; result: unknown };
  /** An attempt failed; `retrying` or `dead` follows. */
  failed: { queue: string; job: JobRecord; error: JobFailure };
  retrying: { queue: string; job: JobRecord; error: JobFailure; delayMs: number };
  dead: { queue: string; job: JobRecord; error: JobFailure };
  /** A run reported progress with `context.progress(value)`. */
  progress: { queue: string; job: JobRecord; progress: JobProgress };
}

export type JobEventType = keyof JobEventMap;
export const JOB_EVENT_TYPES: readonly JobEventType[] = ['active', 'progress', 'completed', 'failed', 'retrying', 'dead'];

export type JobEventListener<K extends JobEventType> = (event: JobEventMap[K]) => unknown;

/**
 * A small typed emitter. A listener that throws (or rejects) is logged and never reaches the consumer
 * that emitted, so a broken handler cannot stop job processing.
 */
export class JobEvents {
  private static readonly logger = new Logger('JobEvents');
  private readonly listeners = new Map<JobEventType, Set<JobEventListener<JobEventType>>>();

  /** Subscribes; returns a function that unsubscribes. */
  on<K extends JobEventType>(type: K, listener: JobEventListener<K>): () => void {
    const set = this.listeners.get(type) ?? new Set();
    set.add(listener as JobEventListener<JobEventType>);
    this.listeners.set(type, set);
    return () => this.off(type, listener);
  }

  off<K extends JobEventType>(type: K, listener: JobEventListener<K>): void {
    this.listeners.get(type)?.delete(listener as JobEventListener<JobEventType>);
  }

  /** Whether anyone listens to `type`, so an emitter may skip making the event. */
  has(type: JobEventType): boolean {
    return (this.listeners.get(type)?.size ?? 0) > 0;
  }

  emit<K extends JobEventType>(type: K, event: JobEventMap[K]): void {
    const set = this.listeners.get(type);
    if (!set) return;
    for (const listener of set) {
      try {
        const returned = listener(event);
        if (returned instanceof Promise) returned.catch((err: unknown) => JobEvents.report(type, event.queue, err));
      } catch (err) {
        JobEvents.report(type, event.queue, err);
      }
    }
  }

  private static report(type: string, queue: string, err: unknown): void {
    JobEvents.logger.error(`A "${type}" listener for queue "${queue}" threw: ${err instanceof Error ? err.stack : String(err)}`);
  }
}
