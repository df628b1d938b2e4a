import type { PublishItem } from '../../backend/job-backend.interface';
import type { JobState } from '../../backend/job-state';
import type { JobStateStore } from '../../backend/job-state-store.interface';

/** Enough for every job a busy client fails to publish during one outage; the oldest are forgotten first. */
const CAPACITY = 10_000;

/** The jobs of a publish that were published before, ambiguously (see UnconfirmedPublishes.retried). */
export interface RetriedJobs {
  /** Ids whose first copy the job store saw start: not to be published again. */
  arrived: Set<string>;
  /** Ids to publish again with RESENT_HEADER. */
  copies: Set<string>;
}

/**
 * Jobs whose publish failed ambiguously (with the job store's client): the connection went before the
 * broker confirmed them, so the broker may hold them or not. RabbitMQ keeps no index of ids and would
 * enqueue a republished job a second time; when the caller publishes one of these again, the client
 * recognises it instead of answering as for a new job.
 */
export class UnconfirmedPublishes {
  private readonly entries = new Set<string>();

  get size(): number {
    return this.entries.size;
  }

  add(queue: string, ids: readonly string[]): void {
    for (const id of ids) {
      const key = keyOf(queue, id);
      this.entries.delete(key); // re-inserted as the newest
      this.entries.add(key);
      if (this.entries.size > CAPACITY) this.entries.delete(this.entries.values().next().value as string);
    }
  }

  /**
   * Sorts out the jobs of `items` published before, ambiguously (and forgets them: a failed publish adds
   * them again). One the job store knows has arrived — its first copy was delivered and the store recorded
   * its start — so it is not published again, and the call answers as if it were. The others go out again
   * with RESENT_HEADER: if the first copy did arrive and is delivered first, as a queue delivers in publish
   * order, the second one is dropped on delivery (startedAlready). Refusing the id instead, as RedisClient
   * does, would lose the job whenever the first copy never reached the broker: the store's record is
   * written before the publish, so it cannot tell. Null if no job of `items` was published before.
   */
  async retried(store: JobStateStore, queue: string, items: readonly PublishItem[]): Promise<RetriedJobs | null> {
    let retried: RetriedJobs | null = null;
    for (const { job } of items) {
      if (!this.entries.delete(keyOf(queue, job.id))) continue;
      retried ??= { arrived: new Set(), copies: new Set() };
      if (await store.get(job.id)) retried.arrived.add(job.id);
      else retried.copies.add(job.id);
    }
    return retried;
  }
}

/**
 * True if a delivered copy published with RESENT_HEADER (body attempt `bodyAttempt`, delivered for the
 * first time) is a second copy: the store has seen its job start, or end.
 */
export function startedAlready(state: JobState | null, bodyAttempt: number): boolean {
  return state !== null && (state.status === 'completed' || state.status === 'dead' || state.attempt > bodyAttempt);
}

function keyOf(queue: string, id: string): string {
  return `${queue}\u0000${id}`;
}
