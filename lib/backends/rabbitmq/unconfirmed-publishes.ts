/** Enough for every job a busy client fails to publish during one outage; the oldest are forgotten first. */
const CAPACITY = 10_000;

/**
 * Jobs whose publish failed ambiguously: the connection went before the broker confirmed them, so the
 * broker may hold them or not. RabbitMQ keeps no index of ids and would enqueue a republished job a
 * second time; when the caller publishes one of these again, the client recognises it (see
 * RabbitMQClient.publish) instead of answering as for a new job.
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

  /** True (and forgets it) if a publish of this job failed ambiguously. */
  take(queue: string, id: string): boolean {
    return this.entries.delete(keyOf(queue, id));
  }
}

function keyOf(queue: string, id: string): string {
  return `${queue}\u0000${id}`;
}
