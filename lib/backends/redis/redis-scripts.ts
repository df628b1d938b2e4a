import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChainableCommander, Cluster, Redis } from 'ioredis';

type ScriptCall<T> = (...args: (string | number)[]) => T;

/** Every script in scripts/, each one atomic step of the queue. */
const SCRIPT_NAMES = [
  'declare',
  'publish',
  'fetch',
  'extend',
  'complete',
  'retry',
  'dead-letter',
  'release',
  'stats',
  'get-job',
  'clean',
  'delete',
  'list-dead',
  'redrive',
  'purge-dead',
  'count-waiting',
] as const;

export type ScriptName = (typeof SCRIPT_NAMES)[number];

/** The number of KEYS every queue script takes (see _prelude.lua). */
const QUEUE_KEY_COUNT = 7;

/**
 * Loads the Lua scripts once per connection (ioredis `defineCommand`: EVALSHA, falling back to EVAL
 * after a server restart) and calls them by name with the queue's keys.
 */
export class RedisScripts {
  private static sources: Map<ScriptName, string> | null = null;

  constructor(private readonly redis: Redis | Cluster) {
    for (const [name, lua] of RedisScripts.load()) {
      const command = RedisScripts.commandName(name);
      if (!(command in redis)) redis.defineCommand(command, { numberOfKeys: QUEUE_KEY_COUNT, lua });
    }
  }

  run<T = unknown>(name: ScriptName, keys: string[], args: (string | number)[]): Promise<T> {
    const command = (this.redis as unknown as Record<string, ScriptCall<Promise<T>>>)[RedisScripts.commandName(name)];
    return command.call(this.redis, ...keys, ...args);
  }

  /** Adds a script call to a pipeline, to share its round trip with other commands. */
  queue(pipeline: ChainableCommander, name: ScriptName, keys: string[], args: (string | number)[]): void {
    const command = (pipeline as unknown as Record<string, ScriptCall<unknown>>)[RedisScripts.commandName(name)];
    command.call(pipeline, ...keys, ...args);
  }

  private static commandName(name: ScriptName): string {
    return `mindtrace_${name.replace(/-/g, '_')}`;
  }

  private static load(): Map<ScriptName, string> {
    if (!RedisScripts.sources) {
      const dir = join(__dirname, 'scripts');
      const prelude = readFileSync(join(dir, '_prelude.lua'), 'utf8');
      RedisScripts.sources = new Map(SCRIPT_NAMES.map((name) => [name, `${prelude}\n${readFileSync(join(dir, `${name}.lua`), 'utf8')}`]));
    }
    return RedisScripts.sources;
  }
}
