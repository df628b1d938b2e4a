/**
 * Key names; the layout itself is written down in KEYS.md beside this file. Every key of a queue
 * carries the hash tag {queue}, so a queue lives in one Redis Cluster slot and its scripts run there.
 */
export class RedisKeys {
  constructor(readonly prefix: string) {}

  /** The seven keys every queue script takes, in the order _prelude.lua names them. */
  queue(queue: string): string[] {
    const base = this.base(queue);
    return [`${base}:meta`, `${base}:wait`, `${base}:delayed`, `${base}:active`, `${base}:dead`, `${base}:completed`, `${base}:notify`];
  }

  notify(queue: string): string {
    return `${this.base(queue)}:notify`;
  }

  jobPrefix(queue: string): string {
    return `${this.base(queue)}:job:`;
  }

  /** Pub/sub channel announcing a job of this queue finished (message: its id; "*": re-check all). */
  finished(queue: string): string {
    return `${this.base(queue)}:finished`;
  }

  /** Hash schedule key → ScheduleRecord JSON (RedisSchedules); the scripts derive it from meta's name. */
  schedules(queue: string): string {
    return `${this.base(queue)}:schedules`;
  }

  /** Set of the declared queues' names, for listQueues. */
  queues(): string {
    return `${this.prefix}:queues`;
  }

  /** Hash id → queue, so getJob(id) can find a job without being told its queue. */
  index(): string {
    return `${this.prefix}:index`;
  }

  private base(queue: string): string {
    return `${this.prefix}:{${queue}}`;
  }
}
