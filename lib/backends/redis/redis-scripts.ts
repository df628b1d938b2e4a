import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ChainableCommander, Cluster, Redis } from 'ioredis';

type ScriptCall<T> = (...args: (string | number)[]) => T;

/** A folder of Lua scripts that share their number of KEYS. */
export interface ScriptSet<Name extends string> {
  /** Folder under this one; also the command-name namespace. */
  folder: string;
  names: readonly Name[];
  /** KEYS per call; 'variable': each call passes its own keys, and run() tells Redis how many. */
  keys: number | 'variable';
}

/** A line `--- @include "<file>"` is replaced by that file (relative to the one that names it). */
const INCLUDE = /^--- @include "([^"]+)"$/gm;

/** The queue's atomic steps (scripts/): every one takes the seven queue keys of _prelude.lua. */
export const QUEUE_SCRIPTS = {
  folder: 'scripts',
  names: [
    'declare',
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
    'list-jobs',
    'redrive',
    'purge-dead',
    'count-waiting',
    'pause',
    'hold',
    'progress',
    'start',
  ],
  keys: 7,
} as const satisfies ScriptSet<string>;

/**
 * publish and its undo, and the scripts that enqueue or withdraw one job beside a record of their own
 * (schedules, deduplication) (scripts/): the seven queue keys, and on a standalone server the id index
 * as an eighth, so the index is checked and written in the same atomic step. On Redis Cluster the index
 * lives in another slot and is claimed by a separate command (IdIndex); see KEYS.md.
 */
export const PUBLISH_SCRIPTS = {
  folder: 'scripts',
  names: ['publish', 'withdraw', 'put-schedule', 'delete-schedule', 'publish-dedup'],
  keys: 'variable',
} as const satisfies ScriptSet<string>;

/** RedisJobStateStore's steps (scripts/state/): the queue's id set, completed and dead zsets. */
export const STATE_SCRIPTS = {
  folder: 'scripts/state',
  names: ['finish', 'read', 'forget', 'redrive'],
  keys: 3,
} as const satisfies ScriptSet<string>;

export type ScriptName = (typeof QUEUE_SCRIPTS.names)[number];
export type StateScriptName = (typeof STATE_SCRIPTS.names)[number];
export type PublishScriptName = (typeof PUBLISH_SCRIPTS.names)[number];

/**
 * Loads a set of Lua scripts once per connection (ioredis `defineCommand`: EVALSHA, falling back to
 * EVAL after a server restart) and calls them by name. Calls are sent as they are: RedisConnection.call
 * bounds them and puts their errors into words.
 */
export class RedisScripts<Name extends string> {
  private readonly commands = new Map<Name, string>();

  constructor(
    private readonly redis: Redis | Cluster,
    private readonly set: ScriptSet<Name>,
  ) {
    for (const name of set.names) {
      const command = this.commandName(name);
      const numberOfKeys = set.keys === 'variable' ? undefined : set.keys;
      if (!(command in redis)) redis.defineCommand(command, { numberOfKeys, lua: RedisScripts.source(set, name) });
    }
  }

  run<T = unknown>(name: Name, keys: string[], args: (string | number)[]): Promise<T> {
    const command = (this.redis as unknown as Record<string, ScriptCall<Promise<T>>>)[this.commandName(name)];
    return this.set.keys === 'variable'
      ? command.call(this.redis, keys.length, ...keys, ...args)
      : command.call(this.redis, ...keys, ...args);
  }

  /** Adds a script call to a pipeline, to share its round trip with other commands. */
  queue(pipeline: ChainableCommander, name: Name, keys: string[], args: (string | number)[]): void {
    const command = (pipeline as unknown as Record<string, ScriptCall<unknown>>)[this.commandName(name)];
    if (this.set.keys === 'variable') command.call(pipeline, keys.length, ...keys, ...args);
    else command.call(pipeline, ...keys, ...args);
  }

  private commandName(name: Name): string {
    let command = this.commands.get(name);
    if (command === undefined) {
      command = `mindtrace_${this.set.folder}_${name}`.replace(/[^a-z0-9]/gi, '_');
      this.commands.set(name, command);
    }
    return command;
  }

  private static source(set: ScriptSet<string>, name: string): string {
    return scriptSource(join(__dirname, set.folder, `${name}.lua`));
  }
}

const sources = new Map<string, string>();

/**
 * A script file's text as it is loaded: its includes in place, each shared file once (_prelude.lua
 * includes _common.lua, which a script including both must not define twice). Read once per process.
 */
export function scriptSource(path: string): string {
  let lua = sources.get(path);
  if (lua === undefined) {
    lua = withIncludes(path, new Set());
    sources.set(path, lua);
  }
  return lua;
}

function withIncludes(path: string, included: Set<string>): string {
  included.add(path);
  return readFileSync(path, 'utf8').replace(INCLUDE, (_line, file: string) => {
    const shared = join(dirname(path), file);
    return included.has(shared) ? '' : withIncludes(shared, included);
  });
}
