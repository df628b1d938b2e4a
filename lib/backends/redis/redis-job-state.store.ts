import { Logger } from '../../logger/logger';
import type { Cluster, Redis } from 'ioredis';
import { deadLettersDroppedWarning } from '../../backend/backend-rules';
import type { JobRecord } from '../../backend/job-record';
import type { RetentionRule } from '../../backend/retention-options';
import type { JobFailure, JobProgress, JobState, JobStatus } from '../../backend/job-state';
import type { JobStateStore, RedrivenJob } from '../../backend/job-state-store.interface';
import { JobNotFoundError, LeaseLostError } from '../../errors';
import { FinishWatcher } from './finish-watcher';
import { IdIndex } from './id-index';
import { jobStateOf } from './job-hash';
import { resolveRedisConnection, type RedisClientExtras, type RedisConnectionInput } from './redis-client.options';
import { RedisConnection } from './redis-connection';
import { RedisScripts, STATE_SCRIPTS, type StateScriptName } from './redis-scripts';

/**
 * Job states in Redis, for a backend that keeps none (RabbitMQClient's `jobStore` option): every
 * process using the same Redis and prefix sees the same states, and waitForResult is told by pub/sub.
 * Its keys are under `<prefix>:state` (KEYS.md, "RedisJobStateStore"). Retention by age holds on an
 * idle queue too: a finished job's hash expires with its age, and every read drops what is past it
 * first. Every call is bounded by `commandTimeoutMs`: an outage fails it with RedisUnavailableError.
 */
export class RedisJobStateStore implements JobStateStore {
  readonly shared = true;
  private readonly connection: RedisConnection;
  private readonly redis: Redis | Cluster;
  private readonly prefix: string;
  private readonly scripts: RedisScripts<StateScriptName>;
  private readonly watcher: FinishWatcher;
  private readonly index: IdIndex;
  private readonly retention: Record<'completed' | 'dead', [count: number, ageMs: number]>;
  private readonly deadRule: Required<RetentionRule>;
  private readonly logger = new Logger('RedisJobStateStore');

  /** Same connection forms as RedisClient: options, a redis:// URL, or an ioredis instance (not closed by us). */
  constructor(connection: RedisConnectionInput = {}, options: RedisClientExtras = {}) {
    const resolved = resolveRedisConnection('RedisJobStateStore', connection, options);
    this.connection = new RedisConnection(resolved, this.logger, 'job store ');
    this.redis = resolved.redis;
    this.prefix = `${resolved.prefix}:state`;
    this.retention = resolved.retention;
    this.deadRule = resolved.retentionRules.dead;
    this.scripts = new RedisScripts(this.redis, STATE_SCRIPTS);
    this.watcher = new FinishWatcher(this.redis);
    this.index = new IdIndex(this.connection, `${this.prefix}:index`, this.logger);
  }

  async published(queue: string, items: readonly { job: JobRecord; runAt: number | null }[]): Promise<void> {
    const pipeline = this.redis.pipeline();
    const k = this.keys(queue);
    for (const { job, runAt } of items) {
      const jk = k.job(job.id);
      pipeline.del(jk);
      pipeline.hset(jk, this.base(job, runAt === null ? 'waiting' : 'delayed', 0));
      if (runAt !== null) pipeline.hset(jk, 'runAt', runAt);
      pipeline.sadd(k.ids, job.id).zrem(k.completed, job.id).zrem(k.dead, job.id);
    }
    this.index.add(
      pipeline,
      queue,
      items.map((item) => item.job.id),
    );
    await this.connection.call('published', queue, exec(pipeline));
  }

  async unpublished(queue: string, ids: readonly string[]): Promise<void> {
    const k = this.keys(queue);
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.del(k.job(id)).srem(k.ids, id);
    await this.connection.call('unpublished', queue, exec(pipeline));
    await this.index.drop('unpublished', queue, ids);
  }

  async started(queue: string, job: JobRecord): Promise<void> {
    await this.move('started', queue, job, 'active', { startedAt: Date.now() }, ['runAt', 'finishedAt']);
  }

  async completed(queue: string, job: JobRecord, result: unknown): Promise<void> {
    await this.finish(queue, job, 'completed', { attempt: job.attempt, result: JSON.stringify(result ?? null) });
  }

  async failed(queue: string, job: JobRecord, failure: JobFailure, runAt: number | null): Promise<void> {
    await this.move(
      'failed',
      queue,
      job,
      'failed',
      { error: JSON.stringify(failure), ...(runAt === null ? {} : { runAt }) },
      runAt === null ? ['runAt'] : [],
    );
  }

  async dead(queue: string, job: JobRecord, failure: JobFailure): Promise<void> {
    await this.finish(queue, job, 'dead', { attempt: job.attempt, error: JSON.stringify(failure) });
  }

  /**
   * The hash's `progress` field (read by jobStateOf), which no other move writes or clears: kept across
   * retries, gone with the hash. The job is known here already: its client recorded the start before handing it out.
   */
  async progressed(queue: string, job: JobRecord, progress: JobProgress): Promise<void> {
    await this.connection.call('progressed', queue, this.redis.hset(this.keys(queue).job(job.id), 'progress', JSON.stringify(progress)));
  }

  async released(queue: string, job: JobRecord): Promise<void> {
    const hadError = (await this.connection.call('released', queue, this.redis.hexists(this.keys(queue).job(job.id), 'error'))) === 1;
    await this.move('released', queue, job, hadError ? 'failed' : 'waiting', {}, []);
  }

  /** Only jobs unknown or still dead of their dead letter's failure (JobStateStore.redriven), atomically (scripts/state/redrive.lua). */
  async redriven(queue: string, jobs: readonly RedrivenJob[]): Promise<void> {
    const k = this.keys(queue);
    for (let i = 0; i < jobs.length; i += REDRIVE_CHUNK) {
      const chunk = jobs.slice(i, i + REDRIVE_CHUNK);
      const pipeline = this.redis.pipeline();
      const args = chunk.flatMap(({ job, failedAt }) => [job.id, JSON.stringify({ ...job, attempt: 0 }), job.priority, failedAt ?? '']);
      this.scripts.queue(pipeline, 'redrive', [k.ids, k.completed, k.dead], [k.jobPrefix, ...args]);
      // An id the script skips is known to the store already, under this same queue.
      this.index.add(
        pipeline,
        queue,
        chunk.map(({ job }) => job.id),
      );
      await this.connection.call('redriven', queue, exec(pipeline));
    }
  }

  async forget(queue: string, statuses?: readonly JobStatus[]): Promise<void> {
    const k = this.keys(queue);
    const dropped = await this.run<string[]>('forget', queue, [k.jobPrefix, k.channel, ...(statuses ?? [])]);
    await this.index.drop('forget', queue, dropped);
  }

  async completedCount(queue: string): Promise<number> {
    return (await this.read(queue, '')).completed;
  }

  async get(id: string): Promise<JobState | null> {
    const queue = await this.index.queueOf('get', id);
    if (queue === null) return null;
    const { fields } = await this.read(queue, id);
    return fields.data ? jobStateOf(queue, id, fields) : null;
  }

  async waitForFinished(id: string, signal: AbortSignal): Promise<JobState> {
    const queue = await this.index.queueOf('waitForFinished', id);
    if (queue === null) throw new JobNotFoundError(id);
    return this.watcher.waitFor(this.keys(queue).channel, id, () => this.get(id), signal);
  }

  /** Closes the store's connections (not an ioredis instance that was passed in). */
  async close(): Promise<void> {
    await this.watcher.close();
    await this.connection.close();
  }

  private keys(queue: string) {
    const base = `${this.prefix}:{${queue}}`;
    return {
      ids: `${base}:ids`,
      completed: `${base}:completed`,
      dead: `${base}:dead`,
      channel: `${base}:finished`,
      jobPrefix: `${base}:job:`,
      job: (id: string) => `${base}:job:${id}`,
    };
  }

  /** The fields every move writes, so a move can create a job this store has not seen published. */
  private base(job: JobRecord, status: JobStatus, attempt: number): Record<string, string | number> {
    return { data: JSON.stringify({ ...job, attempt: 0 }), status, attempt, priority: job.priority };
  }

  private async move(
    operation: string,
    queue: string,
    job: JobRecord,
    status: JobStatus,
    fields: Record<string, string | number>,
    clear: string[],
  ): Promise<void> {
    const k = this.keys(queue);
    const jk = k.job(job.id);
    const pipeline = this.redis.pipeline();
    if (clear.length > 0) pipeline.hdel(jk, ...clear);
    // Not finished (any more): its hash must not expire with a retention age.
    pipeline.hset(jk, { ...this.base(job, status, job.attempt), ...fields }).persist(jk);
    pipeline.sadd(k.ids, job.id).zrem(k.completed, job.id).zrem(k.dead, job.id);
    this.index.add(pipeline, queue, [job.id]);
    await this.connection.call(operation, queue, exec(pipeline));
  }

  private async finish(
    queue: string,
    job: JobRecord,
    status: 'completed' | 'dead',
    fields: Record<string, string | number>,
  ): Promise<void> {
    const k = this.keys(queue);
    const [count, age] = this.retention[status];
    const pipeline = this.redis.pipeline();
    pipeline.hsetnx(k.job(job.id), 'data', JSON.stringify({ ...job, attempt: 0 }));
    pipeline.hsetnx(k.job(job.id), 'priority', job.priority);
    this.index.add(pipeline, queue, [job.id]);
    this.scripts.queue(
      pipeline,
      'finish',
      [k.ids, k.completed, k.dead],
      [k.jobPrefix, job.id, status, JSON.stringify(fields), count, age, k.channel],
    );
    const results = await this.connection.call(status, queue, exec(pipeline));
    const finished = results[results.length - 1] as string[] | number;
    // A later attempt started the job: this run's delivery was taken from it (see finish.lua).
    if (typeof finished === 'number') throw new LeaseLostError(queue, job.id);
    const dropped = finished;
    // finish trims the zset of the job's own status only.
    if (status === 'dead') this.warnDeadDropped(queue, dropped);
    this.index.dropRetired(dropped);
  }

  /**
   * Drops the queue's finished jobs past their retention age (an idle queue has no finish to do it),
   * then reads the job `id` ('' for none) and the completed count, in one atomic step.
   */
  private async read(queue: string, id: string): Promise<{ fields: Record<string, string>; completed: number }> {
    const k = this.keys(queue);
    const ages = [this.retention.completed[1], this.retention.dead[1]];
    const [flat, completed, droppedCompleted, droppedDead] = await this.run<[string[], number, string[], string[]]>('read', queue, [
      k.jobPrefix,
      ...ages,
      id,
    ]);
    this.warnDeadDropped(queue, droppedDead);
    this.index.dropRetired([...droppedCompleted, ...droppedDead]);
    const fields: Record<string, string> = {};
    for (let i = 0; i < flat.length; i += 2) fields[flat[i]] = flat[i + 1];
    return { fields, completed };
  }

  /** A dead job is work someone must look at: forgetting one is never silent. */
  private warnDeadDropped(queue: string, ids: readonly string[]): void {
    if (ids.length > 0) this.logger.warn(deadLettersDroppedWarning(queue, ids, this.deadRule));
  }

  private run<T>(name: StateScriptName, queue: string, args: (string | number)[]): Promise<T> {
    const k = this.keys(queue);
    return this.connection.call(name, queue, this.scripts.run<T>(name, [k.ids, k.completed, k.dead], args));
  }
}

/** Jobs per redrive script call, so a redrive of many dead letters does not hold Redis in one long script. */
const REDRIVE_CHUNK = 1000;

/** Runs a pipeline and throws its first error, if any; returns the replies. */
async function exec(pipeline: ReturnType<Redis['pipeline']>): Promise<unknown[]> {
  const results = (await pipeline.exec()) ?? [];
  for (const [err] of results) if (err) throw err;
  return results.map(([, reply]) => reply);
}
