import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import type { Cluster, Redis } from 'ioredis';
import type { BackendCapabilities, Delivery, FetchOptions, JobBackend, PublishItem } from '../../backend/job-backend.interface';
import type { JobRecord } from '../../backend/job-record';
import type { DeadLetter, JobFailure, JobState, QueueStats } from '../../backend/job-state';
import { QUEUE_TYPES, type QueueType } from '../../backend/queue-type';
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
import { IdIndex } from './id-index';
import { jobStateOf } from './job-hash';
import { resolveRedisConnection, type RedisClientExtras, type RedisConnectionInput } from './redis-client.options';
import { RedisKeys } from './redis-keys';
import { QUEUE_SCRIPTS, RedisScripts, type ScriptName } from './redis-scripts';
import { SettleBatcher } from './settle-batcher';

/** A consumer with nothing to do still wakes this often, so a deleted or redeclared queue is noticed. */
const MAX_BLOCK_MS = 10_000;

type FetchedJob = [id: string, json: string, attempt: number, token: string, stalls: number];

interface Completion {
  delivery: Delivery;
  resultJson: string;
  /** completeAndFetch: how many next jobs this completion asks for (0: none). */
  fetchMax: number;
}

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
    stallCount: true,
  };

  private readonly redis: Redis | Cluster;
  private readonly owned: boolean;
  private readonly keys: RedisKeys;
  private readonly scripts: RedisScripts<ScriptName>;
  private readonly blocking: BlockingConnections;
  private readonly watcher: FinishWatcher;
  private readonly index: IdIndex;
  private readonly retention: { completed: [count: number, ageMs: number]; dead: [count: number, ageMs: number] };
  /**
   * Completions go out in batches: one script call for every job of a queue finished meanwhile. Those
   * that also ask for next jobs (completeAndFetch) are batched apart per lease length, since the jobs
   * the call takes are leased for that long.
   */
  private readonly completions = new SettleBatcher<Completion, Delivery[]>((key, batch) => this.completeBatch(key, batch));
  /** Aborts the blocking waits of this client's consumers at close() or when their queue is deleted here. */
  private readonly waits = new Map<string, Set<AbortController>>();
  private closed = false;
  private readonly logger = new Logger('RedisClient');

  /** `new RedisClient({ host, port, db, prefix })`, `new RedisClient('redis://…')`, or an ioredis instance (not closed by us). */
  constructor(connection: RedisConnectionInput = {}, options: RedisClientExtras = {}) {
    const resolved = resolveRedisConnection('RedisClient', connection, options);
    this.redis = resolved.redis;
    this.owned = resolved.owned;
    this.keys = new RedisKeys(resolved.prefix);
    this.retention = resolved.retention;
    this.scripts = new RedisScripts(this.redis, QUEUE_SCRIPTS);
    this.blocking = new BlockingConnections(this.redis);
    this.watcher = new FinishWatcher(this.redis);
    this.index = new IdIndex(this.redis, this.keys.index());
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
    await this.index.drop(ids);
    for (const wait of this.waits.get(queue) ?? []) wait.abort();
  }

  async cleanQueue(queue: string): Promise<number> {
    const ids = await this.run<string[]>('clean', queue, [this.keys.finished(queue)]);
    await this.index.drop(ids);
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
    const pipeline = this.redis.pipeline();
    this.index.add(pipeline, queue, items.map((item) => item.job.id));
    this.scripts.queue(pipeline, 'publish', this.keys.queue(queue), [this.keys.jobPrefix(queue), ...args]);
    const results = (await pipeline.exec()) ?? [];
    const indexError = results[0]?.[0] ?? null;
    const scriptError = results[1]?.[0] ?? null;
    if (scriptError) {
      // Undo the index entries this call wrote, but never one of a job that exists (a duplicate id).
      const ids = items.map((item) => item.job.id);
      const exists = await Promise.all(ids.map((id) => this.redis.exists(`${this.keys.jobPrefix(queue)}${id}`)));
      await this.index.drop(ids.filter((_, i) => exists[i] === 0));
      throw this.translate(scriptError, queue);
    }
    if (indexError) throw indexError;
  }

  async fetch(queue: string, max: number, options: FetchOptions): Promise<Delivery[]> {
    // The common case, jobs ready, costs one script call and nothing else.
    const first = await this.take(queue, max, options.leaseMs);
    if (first.deliveries.length > 0 || !options.wait || options.signal?.aborted) return first.deliveries;
    // Nothing ready: wait on the wake list, interruptible by the caller's signal, close() or deleteQueue().
    const wait = new AbortController();
    const onAbort = (): void => wait.abort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const waits = this.waits.get(queue) ?? new Set();
    this.waits.set(queue, waits.add(wait));
    try {
      let wakeInMs = first.wakeInMs;
      for (;;) {
        // Sleep until a publish wakes us, or until the next delayed job / lease deadline is due.
        await this.blocking.waitFor(this.keys.notify(queue), wakeInMs >= 0 ? Math.min(wakeInMs + 1, MAX_BLOCK_MS) : MAX_BLOCK_MS, wait.signal);
        if (wait.signal.aborted) return [];
        const next = await this.take(queue, max, options.leaseMs);
        if (next.deliveries.length > 0 || wait.signal.aborted) return next.deliveries;
        wakeInMs = next.wakeInMs;
      }
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
      waits.delete(wait);
      if (waits.size === 0) this.waits.delete(queue);
    }
  }

  /** One fetch script call: up to `max` jobs under a lease, and when the next one falls due. */
  private async take(queue: string, max: number, leaseMs: number): Promise<{ deliveries: Delivery[]; wakeInMs: number }> {
    const [jobs, wakeInMs] = await this.run<[FetchedJob[], number]>('fetch', queue, [max, leaseMs, randomUUID()]);
    return { deliveries: deliveriesOf(queue, jobs), wakeInMs };
  }

  async extendLease(delivery: Delivery, leaseMs: number): Promise<void> {
    await this.settle('extend', delivery, [leaseMs]);
  }

  async complete(delivery: Delivery, result: unknown): Promise<void> {
    this.assertOpen();
    await this.completions.add(delivery.queue, { delivery, resultJson: JSON.stringify(result ?? null), fetchMax: 0 });
  }

  completeAndFetch(delivery: Delivery, result: unknown, next: { max: number; leaseMs: number }): Promise<Delivery[]> {
    this.assertOpen();
    const key = `${delivery.queue}\u0000${next.leaseMs}`;
    return this.completions.add(key, { delivery, resultJson: JSON.stringify(result ?? null), fetchMax: next.max });
  }

  /**
   * One `complete` script call for a batch (its key: the queue, or queue and lease length): a job
   * whose lease was lost fails alone, and the next jobs taken in the same call are shared out, in
   * order, to the completions that asked for them.
   */
  private async completeBatch(key: string, batch: Completion[]): Promise<(Delivery[] | Error)[]> {
    const queue = batch[0].delivery.queue;
    const leaseMs = Number(key.slice(queue.length + 1) || 0);
    const [count, age] = this.retention.completed;
    const args: (string | number)[] = [this.keys.jobPrefix(queue), count, age, this.keys.finished(queue), leaseMs, randomUUID()];
    for (const { delivery, resultJson, fetchMax } of batch) args.push(delivery.job.id, delivery.token, resultJson, fetchMax);
    let dropped: string[];
    let lost: number[];
    let jobs: FetchedJob[];
    // Not through run(): a batch accepted before close() must still go out while close() drains it.
    try {
      [dropped, lost, jobs] = await this.scripts.run<[string[], number[], FetchedJob[]]>('complete', this.keys.queue(queue), args);
    } catch (err) {
      throw this.translate(err as Error, queue);
    }
    this.dropFromIndex(dropped);
    const lostAt = new Set(lost.map((index) => index - 1));
    // The script took next jobs only for the completions that went through, in batch order.
    const taken = deliveriesOf(queue, jobs);
    return batch.map((c, i) => (lostAt.has(i) ? new LeaseLostError(queue, c.delivery.job.id) : taken.splice(0, c.fetchMax)));
  }

  async retry(delivery: Delivery, failure: JobFailure, delayMs: number): Promise<void> {
    await this.settle('retry', delivery, [JSON.stringify(failure), Math.max(0, Math.round(delayMs))]);
  }

  async deadLetter(delivery: Delivery, failure: JobFailure): Promise<void> {
    const [count, age] = this.retention.dead;
    const dropped = await this.settle<string[]>('dead-letter', delivery, [JSON.stringify(failure), count, age, this.keys.finished(delivery.queue)]);
    this.dropFromIndex(dropped);
  }

  async release(delivery: Delivery): Promise<void> {
    await this.settle('release', delivery, []);
  }

  async getJob(id: string): Promise<JobState | null> {
    this.assertOpen();
    const queue = await this.index.queueOf(id);
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
    return jobStateOf(queue, fields);
  }

  async waitForFinished(id: string, signal: AbortSignal): Promise<JobState> {
    this.assertOpen();
    const queue = await this.index.queueOf(id);
    if (queue === null) throw new JobNotFoundError(id);
    return this.watcher.waitFor(this.keys.finished(queue), id, () => this.getJob(id), signal);
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
    await this.index.drop(ids);
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
    // Completions already accepted reach Redis before the connection goes.
    await this.completions.drain();
    await Promise.all([this.blocking.close(), this.watcher.close()]);
    if (this.owned) await this.redis.quit().catch(() => this.redis.disconnect());
  }

  /**
   * Index entries of jobs retention dropped: not awaited, so a settle does not hold its consumer's slot
   * for another round trip. A stale entry is harmless (getJob finds no job and answers null).
   */
  private dropFromIndex(ids: string[]): void {
    if (ids.length > 0) this.index.drop(ids).catch((err: Error) => this.logger.warn(`could not drop ${ids.length} retired job id(s) from the index: ${err.message}`));
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

}

function deliveriesOf(queue: string, jobs: FetchedJob[]): Delivery[] {
  return jobs.map(([id, json, attempt, token, stalls]) => ({
    queue,
    token,
    stalls: Number(stalls),
    job: { ...(JSON.parse(json) as JobRecord), id, attempt: Number(attempt) },
  }));
}
