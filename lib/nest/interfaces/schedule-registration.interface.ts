/**
 * A repeatable job JobsModule upserts at bootstrap (`JobsModule.forRoot({ schedules: [...] })`): the
 * same as `@Schedule(key, when, input, { priority })` on the queue's consumer, for a queue this app
 * does not consume or a schedule built from configuration. Exactly one of `cron` and `every`.
 */
export interface ScheduleRegistration {
  queue: string;
  /** Names the schedule within its queue; upserting the same key again replaces it. */
  key: string;
  /** A cron expression (five or six fields), read in `tz`. */
  cron?: string;
  /** The IANA time zone `cron` is read in, e.g. 'Europe/Berlin'. Default UTC. */
  tz?: string;
  /** Milliseconds between ticks, at whole multiples of it since the Unix epoch. */
  every?: number;
  /** The payload each tick publishes, validated like a publish's. Default `{}`. */
  input?: object;
  /** The priority of each tick's job. Default 0. */
  priority?: number;
}
