import { JOB_EVENT_TYPES, type JobEventListener, type JobEventMap, type JobEventType, type JobState, type Orchestrator } from '../../lib';

/** ISO-8601 UTC, as every time in a JobState and a JobFailure must be. */
export const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

/** A promise with its resolve handed out, so a run can tell the test where it is (or wait for it). */
export interface Deferred<T = void> {
  promise: Promise<T>;
  resolve(value: T): void;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** Anything that emits job events: a consumer (`consumer.on`) or an orchestrator (`orchestrator.events`). */
export interface JobEventSource {
  on<K extends JobEventType>(type: K, listener: JobEventListener<K>): () => void;
}

/** One event as seen by a listener, reduced to what the cases compare. */
export interface SeenEvent {
  type: JobEventType;
  jobId: string;
  attempt: number;
  /** The failure's name and attempt, for failed / retrying / dead. */
  error?: { name: string; message: string; attempt: number };
  /** retrying only. */
  delayMs?: number;
}

/** Subscribes to every event type of `source` and records them in the order they arrive. */
export function recordEvents(source: JobEventSource): SeenEvent[] {
  const seen: SeenEvent[] = [];
  for (const type of JOB_EVENT_TYPES) {
    source.on(type, (event: JobEventMap[JobEventType]) => {
      const entry: SeenEvent = { type, jobId: event.job.id, attempt: event.job.attempt };
      if ('error' in event) entry.error = { name: event.error.name, message: event.error.message, attempt: event.error.attempt };
      if ('delayMs' in event) entry.delayMs = event.delayMs;
      seen.push(entry);
    });
  }
  return seen;
}

/** getJob for a job the case knows exists: fails the case with a clear message if the backend forgot it. */
export async function stateOf(orchestrator: Orchestrator, id: string): Promise<JobState> {
  const state = await orchestrator.getJob(id);
  if (!state) throw new Error(`getJob(${id}) returned null for a job this test published`);
  return state;
}

/** Settles `promise` into its value or its error, so a rejection can be inspected field by field. */
export function outcomeOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value) => value,
    (error: unknown) => error,
  );
}
