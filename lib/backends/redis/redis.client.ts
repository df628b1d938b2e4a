import { randomUUID } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import type { BackendCapabilities, Delivery, FetchOptions, JobBackend, PublishItem } from '../../backend/job-backend.interface';
import type { JobRecord } from '../../backend/job-record';
import type { DeadLetter, JobFailure, JobState, JobStatus, QueueStats } from '../../backend/job-state';
import { QUEUE_TYPES, type QueueType } from '../../backend/queue-type';
import { DEFAULT_RETENTION, type RetentionRule } from '../../backend/retention-options';
import {
  BackendClosedError,
  InvalidOptionError,
  JobNotFoundError,
  LeaseLostError,
  QueueNotDeclaredError,
  QueueTypeMismatchError,
} from '../../errors';
import { BlockingConnections } from './blocking-connections';
import { FinishWatcher } from './finish-watcher';
import { resolveRedisConnection, type RedisClientExtras, type RedisConnectionInput } from './redis-client.options';
import { RedisKeys } from './redis-keys';
import { RedisScripts, type ScriptName } from './redis-scripts';

/** A consumer with nothing to do still wakes this often, so a deleted or redeclared queue is noticed. */
const MAX_BLOCK_MS = 10_000;
/** Ids per HDEL when dropping removed jobs from the id index. */
const INDEX_CHUNK = 1000;

type FetchedJob = [id: string, json: string, attempt: number, token: string];

/**
 * The Redis backend: every move of a job is one Lua script (scripts/), so a crash between two
 * commands can neither lose nor duplicate a job; taken jobs are held under a lease that runs out if
 * their consumer dies; idle consumers block on BLPOP instead of polling. The key layout is in KEYS.md.
 */
export class RedisClient implements JobBackend {
  readonly name = 'RedisClient';
  readonly capabilities: BackendCapabilities = {
    queueTypes: QUEUE_TYPES,
    leases: true,
    // Scores are doubles: keep priorities well inside the exactly representable integers.
    priorityRange: [-1_000_000_000, 1_000_000_000],
    jobState: true,
    sharedJobState: true,
  };

  private readonly redis: Redis | Cluster;
  private readonly owned: boolean;
  private readonly keys: RedisKeys;
  private readonly scripts: RedisScripts;
  private readonly blocking: BlockingConnections;
  private readonly watcher: FinishWatcher;
  private readonly retention: { completed: [count: number, ageMs: number]; dead: [count: number, ageMs: number] };
  /** Aborts the blocking waits of this client's consumers at close() or when their queue is deleted here. */
  private readonly waits = new Map<string, Set<AbortController>>();
  private closed = false;

  /** `new RedisClient({ host, port, db, prefix })`, `new RedisClient('redis://…')`, or an ioredis instance (not closed by us). */
  constructor(connection: RedisConnectionInput = {}, options: RedisClientExtras = {}) {
    const resolved = resolveRedisConnection(connection, options);
    this.redis = resolved.redis;
    this.owned = resolved.owned;
    this.keys = new RedisKeys(resolved.prefix);
    this.retention = {
      completed: ruleArgs('completed', { ...DEFAULT_RETENTION.completed, ...resolved.retention?.completed }),
      dead: ruleArgs('dead', { ...DEFAULT_RETENTION.dead, ...resolved.retention?.dead }),
    };
    this.scripts = new RedisScripts(this.redis);
    this.blocking = new BlockingConnections(this.redis);
    this.watcher = new FinishWatcher(this.redis);
  }

  async declareQueue(queue: string, type: QueueType): Promise<void> {
    try {
      await this.run('declare', queue, [type]);
    } catch (err) {
      const existing = /MINDTRACE_TYPE_MISMATCH (\w+)/.exec((err as Error).message)?.[1];
      if (existing) throw new QueueTypeMismatchError(queue, existing, type);
      throw err;
    }
  }

  async queueType(queue: string): Promise<QueueType | null> {
    this.assertOpen();
    return ((await this.redis.hget(this.keys.queue(queue)[0], 'type')) as QueueType | null) ?? null;
  }

  async deleteQueue(queue: string): Promise<void> {
    const ids = await this.run<string[]>('delete', queue, [this.keys.finished(queue)]);
    await this.unindex(ids);
    for (const wait of this.waits.get(queue) ?? []) wait.abort();
  }

  async cleanQueue(queue: string): Promise<number> {
    const ids = await this.run<string[]>('clean', queue, [this.keys.finished(queue)]);
    await this.unindex(ids);
    return ids.length;
  }

  countWaiting(queue: string): Promise<number> {
    return this.run<number>('count-waiting', queue, []);
  }

  async publish(queue: string, items: PublishItem[]): Promise<void> {
    if (items.length === 0) return;
    const args: (string | number)[] = [items.length];
    const now = Date.now();
    for (const { job, runAt } of items) {
      // Sent as a delay, not a time: the script adds it to the Redis clock, so client clocks may drift.
      args.push(job.id, JSON.stringify(job), job.priority, runAt === undefined ? 0 : Math.max(0, Math.ceil(runAt - now)));
    }
    // One round trip: the id index and the script travel in one pipeline.
    const index: string[] = [];
    for (const { job } of items) index.push(job.id, queue);
    const pipeline = this.redis.pipeline().hset(this.keys.index(), ...index);
    this.scripts.queue(pipeline, 'publish', this.keys.queue(queue), [this.keys.jobPrefix(queue), ...args]);
    const results = (await pipeline.exec()) ?? [];
    const indexError = results[0]?.[0] ?? null;
    const scriptError = results[1]?.[0] ?? null;
    if (scriptError) {
      await this.unindex(items.map((item) => item.job.id));
      throw this.translate(scriptError, queue);
    }
    if (indexError) throw indexError;
  }

  async fetch(queue: string, max: number, options: FetchOptions): Promise<Delivery[]> {
    const wait = new AbortController();
    const onAbort = (): void => wait.abort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const waits = this.waits.get(queue) ?? new Set();
    this.waits.set(queue, waits.add(wait));
    try {
      for (;;) {
        const tokenBase = randomUUID();
        const [jobs, wakeInMs] = await this.run<[FetchedJob[], number]>('fetch', queue, [max, options.leaseMs, tokenBase]);
        if (jobs.length > 0) return jobs.map(([id, json, attempt, token]) => ({ queue, token, job: { ...(JSON.parse(json) as JobRecord), id, attempt: Number(attempt) } }));
        if (!options.wait || wait.signal.aborted || options.signal?.aborted) return [];
        // Sleep until a publish wakes us, or until the next delayed job / lease deadline is due.
        await this.blocking.waitFor(this.keys.notify(queue), wakeInMs >= 0 ? Math.min(wakeInMs + 1, MAX_BLOCK_MS) : MAX_BLOCK_MS, wait.signal);
        if (wait.signal.aborted || options.signal?.aborted) return [];
      }
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
      waits.delete(wait);
      if (waits.size === 0) this.waits.delete(queue);
    }
  }

  async extendLease(delivery: Delivery, leaseMs: number): Promise<void> {
    await this.settle('extend', delivery, [leaseMs]);
  }

  async complete(delivery: Delivery, result: unknown): Promise<void> {
    const [count, age] = this.retention.completed;
    const dropped = await this.settle<string[]>('complete', delivery, [JSON.stringify(result ?? null), count, age, this.keys.finished(delivery.queue)]);
    await this.unindex(dropped);
  }

  async retry(delivery: Delivery, failure: JobFailure, delayMs: number): Promise<void> {
    await this.settle('retry', delivery, [JSON.stringify(failure), Math.max(0, Math.round(delayMs))]);
  }

  async deadLetter(delivery: Delivery, failure: JobFailure): Promise<void> {
    const [count, age] = this.retention.dead;
    const dropped = await this.settle<string[]>('dead-letter', delivery, [JSON.stringify(failure), count, age, this.keys.finished(delivery.queue)]);
    await this.unindex(dropped);
  }

  async release(delivery: Delivery): Promise<void> {
    await this.settle('release', delivery, []);
  }

  async getJob(id: string): Promise<JobState | null> {
    this.assertOpen();
    const queue = await this.redis.hget(this.keys.index(), id);
    if (queue === null) return null;
    let flat: string[];
    try {
      flat = await this.run<string[]>('get-job', queue, [id]);
    } catch (err) {
      if (err instanceof QueueNotDeclaredError) return null;
      throw err;
    }
    if (flat.length === 0) return null;
    const fields: Record<string, string> = {};
    for (let i = 0; i < flat.length; i += 2) fields[flat[i]] = flat[i + 1];
    return stateOf(queue, fields);
  }

  async waitForFinished(id: string, signal: AbortSignal): Promise<JobState> {
    this.assertOpen();
    const queue = await this.redis.hget(this.keys.index(), id);
    if (queue === null) throw new JobNotFoundError(id);
    return new Promise<JobState>((resolve, reject) => {
      let settled = false;
      let unwatch: () => void = () => undefined;
      const finish = (outcome: JobState | Error): void => {
        if (settled) return;
        settled = true;
        unwatch();
        signal.removeEventListener('abort', onAbort);
        if (outcome instanceof Error) reject(outcome);
        else resolve(outcome);
      };
      const onAbort = (): void => finish(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
      const recheck = (): void => {
        this.getJob(id).then(
          (state) => {
            if (!state) finish(new JobNotFoundError(id));
            else if (state.status === 'completed' || state.status === 'dead') finish(state);
          },
          (err: Error) => finish(err),
        );
      };
      signal.addEventListener('abort', onAbort, { once: true });
      // Subscribe first, then look: a finish between the two is still seen.
      this.watcher.watch(this.keys.finished(queue), id, recheck).then(
        (stop) => {
          unwatch = stop;
          if (settled) stop();
          else recheck();
        },
        (err: Error) => finish(err),
      );
    });
  }

  async listDeadLetters(queue: string, limit: number): Promise<DeadLetter[]> {
    const rows = await this.run<[string, string, string, string][]>('list-dead', queue, [limit]);
    return rows.map(([id, json, attempt, error]) => ({ job: { ...(JSON.parse(json) as JobRecord), id, attempt: Number(attempt) }, error: JSON.parse(error) as JobFailure }));
  }

  async redrive(queue: string, ids?: readonly string[]): Promise<number> {
    try {
      return await this.run<number>('redrive', queue, ids === undefined ? ['1'] : ['0', ...ids]);
    } catch (err) {
      const missing = /MINDTRACE_NOT_DEAD (\S+)/.exec((err as Error).message)?.[1];
      if (missing) throw new InvalidOptionError(`redrive on "${queue}"`, 'ids', `names jobs that are not in its dead-letter queue: ${missing.split(',').join(', ')}`);
      throw err;
    }
  }

  async purgeDeadLetters(queue: string): Promise<number> {
    const ids = await this.run<string[]>('purge-dead', queue, []);
    await this.unindex(ids);
    return ids.length;
  }

  async queueStats(queue: string): Promise<QueueStats> {
    const [waiting, delayed, active, completed, dead] = await this.run<number[]>('stats', queue, []);
    return { waiting, delayed, active, completed, dead };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const waits of this.waits.values()) for (const wait of waits) wait.abort();
    await Promise.all([this.blocking.close(), this.watcher.close()]);
    if (this.owned) await this.redis.quit().catch(() => this.redis.disconnect());
  }

  private assertOpen(): void {
    if (this.closed) throw new BackendClosedError(this.name);
  }

  private async run<T>(name: ScriptName, queue: string, args: (string | number)[]): Promise<T> {
    this.assertOpen();
    try {
      return await this.scripts.run<T>(name, this.keys.queue(queue), [this.keys.jobPrefix(queue), ...args]);
    } catch (err) {
      throw this.translate(err as Error, queue);
    }
  }

  private async settle<T = unknown>(name: ScriptName, delivery: Delivery, args: (string | number)[]): Promise<T> {
    return this.run<T>(name, delivery.queue, [delivery.job.id, delivery.token, ...args]);
  }

  /** Turns a script's coded error into the typed error the contract promises. */
  private translate(err: Error, queue: string): Error {
    const message = err.message ?? '';
    if (message.includes('MINDTRACE_NOT_DECLARED')) return new QueueNotDeclaredError(queue);
    if (message.includes('MINDTRACE_LEASE_LOST')) return new LeaseLostError(queue, /job:([^ ]+)/.exec(message)?.[1] ?? '?');
    const priority = /MINDTRACE_PRIORITY (\w+)/.exec(message);
    if (priority) return new InvalidOptionError(`publish to "${queue}"`, 'priority', `is only meaningful on a priority queue; "${queue}" is ${priority[1]}`);
    const duplicate = /MINDTRACE_DUPLICATE (\S+)/.exec(message);
    if (duplicate) {
      return new InvalidOptionError(`publish to "${queue}"`, 'job.id', `${duplicate[1]} is already known to this backend — publish a new job (jobFromSchema) instead of the same one twice`);
    }
    return err;
  }

  private async unindex(ids: string[]): Promise<void> {
    for (let i = 0; i < ids.length; i += INDEX_CHUNK) await this.redis.hdel(this.keys.index(), ...ids.slice(i, i + INDEX_CHUNK));
  }
}

function ruleArgs(kind: string, rule: Required<RetentionRule>): [number, number] {
  for (const [key, value] of Object.entries(rule)) {
    if (!(typeof value === 'number' && value >= 0)) {
      throw new InvalidOptionError('RedisClient', `retention.${kind}.${key}`, `must be a number >= 0 (or Infinity), got ${String(value)}`);
    }
  }
  // The scripts take -1 for "no limit".
  return [Number.isFinite(rule.count) ? rule.count : -1, Number.isFinite(rule.ageMs) ? rule.ageMs : -1];
}

function iso(ms: string | undefined): string | null {
  return ms ? new Date(Number(ms)).toISOString() : null;
}

function stateOf(queue: string, f: Record<string, string>): JobState {
  const record = JSON.parse(f.data) as JobRecord;
  return {
    id: record.id,
    queue,
    name: record.name,
    status: f.status as JobStatus,
    attempt: Number(f.attempt),
    priority: Number(f.priority),
    payload: record.payload,
    result: f.result === undefined ? null : JSON.parse(f.result),
    error: f.error ? (JSON.parse(f.error) as JobFailure) : null,
    createdAt: record.createdAt,
    startedAt: iso(f.startedAt),
    finishedAt: iso(f.finishedAt),
    runAt: iso(f.runAt),
  };
}
