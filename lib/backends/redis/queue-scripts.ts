import type { RedisConnection } from './redis-connection';
import type { RedisKeys } from './redis-keys';
import { QUEUE_SCRIPTS, RedisScripts, type ScriptName } from './redis-scripts';

/**
 * The queue's scripts (scripts/), called by queue name: its seven keys and its job key prefix go
 * first, as every one of them expects (_prelude.lua), and each call is bounded and its refusals
 * typed by the connection.
 */
export class QueueScripts {
  private readonly scripts: RedisScripts<ScriptName>;

  constructor(
    private readonly connection: RedisConnection,
    readonly keys: RedisKeys,
  ) {
    this.scripts = new RedisScripts(connection.redis, QUEUE_SCRIPTS);
  }

  run<T>(name: ScriptName, queue: string, args: (string | number)[]): Promise<T> {
    return this.connection.call(name, queue, this.scripts.run<T>(name, this.keys.queue(queue), [this.keys.jobPrefix(queue), ...args]));
  }
}
