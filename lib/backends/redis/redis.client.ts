import { Logger } from '../../logger/logger';
import { checkOpen, deadLettersDroppedWarning } from '../../backend/backend-rules';
import type {
  BackendCapabilities,
  Delivery,
  FetchOptions,
  JobBackend,
  JobPage,
  ListJobsOptions,
  PublishItem,
  QueueSummary,
} from '../../backend/job-backend.interface';
import type { DeduplicatedPublish, DeduplicationOptions } from '../../backend/flow-control';
import type { DeadLetter, JobFailure, JobProgress, JobState, QueueStats } from '../../backend/job-state';
import type { ScheduleRecord } from '../../backend/schedule-record';
import { QUEUE_TYPES, type QueueType } from '../../backend/queue-type';
import type { RetentionRule } from '../../backend/retention-options';
import { JobNotFoundError, LeaseLostError, MalformedJobError, QueueNotDeclaredError } from '../../errors';
import { failureOf } from '../../backend/job-failure';
import { BlockingConnections } from './blocking-connections';
import { Completions, type NextJobs } from './completions';
import { DeduplicatedPublisher } from './deduplicated-publisher';
import type { MalformedDelivery } from './fetched-jobs';
import { FinishWatcher } from './finish-watcher';
import { IdIndex } from './id-index';
import { JobFetcher } from './job-fetcher';
import { errorOf, jobStateOf } from './job-hash';
import { decodeJob } from './job-record-decoding';
import { MalformedJobs } from './malformed-jobs';
import { OneJobScripts } from './one-job-scripts';
import { QueueRegistry } from './queue-registry';
import { QueueScripts } from './queue-scripts';
import { resolveRedisConnection, type RedisClientOptions, type RedisConnectionInput } from './redis-client.options';
import { RedisConnection } from './redis-connection';
import { RedisKeys } from './redis-keys';
import { RedisPublisher } from './redis-publisher';
import { RedisSchedules } from './redis-schedules';
import type { ScriptName } from './redis-scripts';
import { StartMarks } from './start-marks';
import { UnansweredFetches } from './unanswered-fetches';

/**
 * The Redis backend: every move of a job is one Lua script (scripts/), so a crash between two
 * commands can neither lose nor duplicate a job; taken jobs are held under a lease that runs out if
 * their consumer dies; idle consumers block on BLPOP instead of polling. The key layout is in KEYS.md.
 * Publishing (RedisPublisher), taking jobs (JobFetcher) and batched completions (Completions) live in
 * files of their own; this class is the contract's shape over them.
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
    // The id index (P:index) knows every job's queue; each publish call's nonce tells a resend apart.
    uniqueJobIds: true,
    releaseKeepsOrder: true,
    // Queues are registered in P:queues when declared; every state is a zset but failed, found by status.
    queueListing: true,
    jobListing: ['waiting', 'delayed', 'active', 'failed', 'completed', 'dead'],
    // Each a field or key under the queue's hash tag, checked and changed inside the queue's scripts (KEYS.md).
    schedules: true,
    pause: true,
    rateLimit: true,
    deduplication: true,
    progress: true,
  };

  private readonly server: RedisConnection;
  private readonly keys: RedisKeys;
  private readonly scripts: QueueScripts;
  private readonly registry: QueueRegistry;
  private readonly index: IdIndex;
  private readonly publisher: RedisPublisher;
  private readonly deduplicated: DeduplicatedPublisher;
  private readonly schedules: RedisSchedules;
  private readonly fetcher: JobFetcher;
  private readonly completions: Completions;
  private readonly starts: StartMarks;
  private readonly blocking: BlockingConnections;
  private readonly watcher: FinishWatcher;
  private readonly retention: { completed: [count: number, ageMs: number]; dead: [count: number, ageMs: number] };
  private readonly deadRule: Required<RetentionRule>;
  private readonly logger = new Logger('RedisClient');
  /** Jobs fetched that are not job records: dead-lettered in the background, apart from the healthy ones. */
  private readonly malformed = new MalformedJobs((job, failure) => this.deadLetterMalformed(job, failure), this.logger);
  private closed = false;

  /**
   * `new RedisClient({ host, port, db, prefix, ...ioredis options })`, `new RedisClient('redis://…',
   * { prefix, ...ioredis options })`, or an ioredis instance (not closed by us) with `{ prefix, retention, commandTimeoutMs }`.
   */
  constructor(connection: RedisConnectionInput = {}, options: RedisClientOptions = {}) {
    const resolved = resolveRedisConnection('RedisClient', connection, options);
    this.server = new RedisConnection(resolved, this.logger);
    this.keys = new RedisKeys(resolved.prefix);
    this.retention = resolved.retention;
    this.deadRule = resolved.retentionRules.dead;
    this.scripts = new QueueScripts(this.server, this.keys);
    this.registry = new QueueRegistry(this.server, this.keys);
    this.index = new IdIndex(this.server, this.keys.index(), this.logger);
    this.publisher = new RedisPublisher(this.server, this.keys, this.index, this.logger);
    const oneJob = new OneJobScripts(this.server, this.keys, this.index, this.logger);
    this.deduplicated = new DeduplicatedPublisher(oneJob);
    this.schedules = new RedisSchedules(this.server, this.keys, oneJob, this.registry);
    this.blocking = new BlockingConnections(resolved.redis);
    this.watcher = new FinishWatcher(resolved.redis);
    const unansweredFetches = new UnansweredFetches();
    this.fetcher = new JobFetcher(this.scripts, this.blocking, unansweredFetches, this.malformed);
    this.completions = new Completions(this.scripts, this.retention.completed, this.fetcher, unansweredFetches, this.index);
    this.starts = new StartMarks(this.scripts);
  }

  async declareQueue(queue: string, type: QueueType): Promise<void> {
    await this.run('declare', queue, [type]);
    await this.registry.add(queue);
  }

  async queueType(queue: string): Promise<QueueType | null> {
    this.assertOpen();
    const type = await this.server.call('queueType', queue, this.server.redis.hget(this.keys.queue(queue)[0], 'type'));
    return (type as QueueType | null) ?? null;
  }

  async deleteQueue(queue: string): Promise<void> {
    const ids = await this.run<string[]>('delete', queue, [this.keys.finished(queue)]);
    await this.index.drop('deleteQueue', queue, ids);
    this.fetcher.abortWaits(queue);
    await this.registry.remove(queue);
  }

  async cleanQueue(queue: string): Promise<number> {
    const ids = await this.run<string[]>('clean', queue, [this.keys.finished(queue)]);
    await this.index.drop('cleanQueue', queue, ids);
    return ids.length;
  }

  countWaiting(queue: string): Promise<number> {
    return this.run<number>('count-waiting', queue, []);
  }

  /** One round trip, all or none (RedisPublisher). */
  async publish(queue: string, items: PublishItem[]): Promise<void> {
    this.assertOpen();
    await this.publisher.publish(queue, items);
  }

  async fetch(queue: string, max: number, options: FetchOptions): Promise<Delivery[]> {
    this.assertOpen();
    return this.fetcher.fetch(queue, max, options);
  }

  async extendLease(delivery: Delivery, leaseMs: number): Promise<void> {
    await this.settle('extend', delivery, [leaseMs]);
  }

  /**
   * A job taken ahead starts: its mark goes unawaited, in one call with the marks asked for with it
   * (StartMarks) and ahead of its run's own commands, so a holder that dies during the run counts a
   * stall. A job whose lease was lost meanwhile is left alone (its holder's settle finds the lease
   * lost); a mark that fails otherwise is logged: that job's stall, if it has one, goes uncounted.
   */
  startTakenAhead(delivery: Delivery): void {
    if (this.closed || !delivery.takenAhead) return;
    this.starts.start(delivery).catch((err: Error) => {
      if (err instanceof LeaseLostError) return;
      this.logger.warn(`could not mark job ${delivery.job.id} of "${delivery.queue}" as started: ${err.message}`);
    });
  }

  async complete(delivery: Delivery, result: unknown): Promise<void> {
    this.assertOpen();
    await this.completions.complete(delivery, result);
  }

  /** `next.rateLimit`, if given, counts the next jobs in the queue's window as fetch does. */
  completeAndFetch(delivery: Delivery, result: unknown, next: NextJobs): Promise<Delivery[]> {
    this.assertOpen();
    return this.completions.completeAndFetch(delivery, result, next);
  }

  async retry(delivery: Delivery, failure: JobFailure, delayMs: number): Promise<void> {
    await this.settle('retry', delivery, [JSON.stringify(failure), Math.max(0, Math.round(delayMs))]);
  }

  async deadLetter(delivery: Delivery, failure: JobFailure): Promise<void> {
    this.assertOpen();
    await this.putDead(delivery.queue, delivery.job.id, delivery.token, failure);
  }

  /** Not through run(): a malformed job fetched before close() is still dead-lettered while close() drains. */
  private async putDead(queue: string, id: string, token: string, failure: JobFailure): Promise<void> {
    const [count, age] = this.retention.dead;
    const dropped = await this.scripts.run<string[]>('dead-letter', queue, [
      id,
      token,
      JSON.stringify(failure),
      count,
      age,
      this.keys.finished(queue),
    ]);
    // A dead letter is work someone must look at: dropping one is never silent.
    if (dropped.length > 0) this.logger.warn(deadLettersDroppedWarning(queue, dropped, this.deadRule));
    this.index.dropRetired(dropped);
  }

  /** A producer that wrote a job by hand may not have indexed it: getJob must find its dead letter. */
  private async deadLetterMalformed(job: MalformedDelivery, failure: JobFailure): Promise<void> {
    await this.putDead(job.queue, job.id, job.token, failure);
    // The job is dead from here on: a failing index write must not be reported as a failed dead-lettering.
    await this.index.adopt('deadLetter', job.queue, job.id).catch((err: Error) => {
      this.logger.warn(
        `job ${job.id} on queue "${job.queue}" was dead-lettered as malformed, but its id could not be added to the index (${err.message}): ` +
          'getJob does not find it; listDeadLetters, redrive and purgeDeadLetters on its queue do',
      );
    });
  }

  async release(delivery: Delivery): Promise<void> {
    await this.settle('release', delivery, []);
  }

  async getJob(id: string): Promise<JobState | null> {
    this.assertOpen();
    const queue = await this.index.queueOf('getJob', id);
    if (queue === null) return null;
    let flat: string[];
    try {
      let dropped: string[];
      [flat, dropped] = await this.run<[string[], string[]]>('get-job', queue, [id, ...this.retentionAges()]);
      this.index.dropRetired(dropped);
    } catch (err) {
      if (err instanceof QueueNotDeclaredError) return null;
      throw err;
    }
    if (flat.length === 0) return null;
    return jobStateOf(queue, id, fieldsOf(flat));
  }

  async waitForFinished(id: string, signal: AbortSignal): Promise<JobState> {
    this.assertOpen();
    const queue = await this.index.queueOf('waitForResult', id);
    if (queue === null) throw new JobNotFoundError(id);
    return this.watcher.waitFor(this.keys.finished(queue), id, () => this.getJob(id), signal);
  }

  async listDeadLetters(queue: string, limit: number): Promise<DeadLetter[]> {
    type Row = [id: string, json: string | null, attempt: string | null, error: string | null, priority: string | null];
    const [rows, dropped] = await this.run<[Row[], string[]]>('list-dead', queue, [limit, this.retention.dead[1]]);
    this.index.dropRetired(dropped);
    return rows.map(([id, json, attempt, error, priority]) => {
      const { record, problem } = decodeJob(id, json, Number(attempt ?? 0), priority === null ? undefined : Number(priority));
      // Each dead letter is shown: one whose record cannot be read with what can be known.
      const failure =
        error === null
          ? failureOf(new MalformedJobError(queue, id, problem ?? 'it has no error recorded'), record.attempt)
          : errorOf(error, record.attempt);
      return { job: record, error: failure };
    });
  }

  async redrive(queue: string, ids?: readonly string[]): Promise<number> {
    return this.run<number>('redrive', queue, ids === undefined ? ['1'] : ['0', ...ids]);
  }

  async purgeDeadLetters(queue: string): Promise<number> {
    const ids = await this.run<string[]>('purge-dead', queue, []);
    await this.index.drop('purgeDeadLetters', queue, ids);
    return ids.length;
  }

  async queueStats(queue: string): Promise<QueueStats> {
    type Counts = [number, number, number, number, number, string[], number];
    const [waiting, delayed, active, completed, dead, dropped, paused] = await this.run<Counts>('stats', queue, this.retentionAges());
    this.index.dropRetired(dropped);
    return { waiting, delayed, active, completed, dead, paused: paused === 1 };
  }

  async pauseQueue(queue: string): Promise<void> {
    await this.run('pause', queue, [1]);
  }

  /** Fetches blocked on the queue's notify list, in any process, wake at once: the script pushes tokens. */
  async resumeQueue(queue: string): Promise<void> {
    await this.run('pause', queue, [0]);
  }

  /** Sent as a delay: the script adds it to the Redis clock, which every fetch compares with. */
  async holdQueue(queue: string, until: number): Promise<void> {
    await this.run('hold', queue, [Math.max(0, Math.ceil(until - Date.now()))]);
  }

  async reportProgress(delivery: Delivery, progress: JobProgress): Promise<void> {
    await this.settle('progress', delivery, [JSON.stringify(progress)]);
  }

  async publishDeduplicated(queue: string, item: PublishItem, deduplication: DeduplicationOptions): Promise<DeduplicatedPublish> {
    this.assertOpen();
    return this.deduplicated.publish(queue, item, deduplication);
  }

  getSchedule(queue: string, key: string): Promise<ScheduleRecord | null> {
    this.assertOpen();
    return this.schedules.get(queue, key);
  }

  listSchedules(queue?: string): Promise<ScheduleRecord[]> {
    this.assertOpen();
    return this.schedules.list(queue);
  }

  putSchedule(record: ScheduleRecord, occurrence: PublishItem, expect: number | null, withdrawPrevious: boolean): Promise<boolean> {
    this.assertOpen();
    return this.schedules.put(record, occurrence, expect, withdrawPrevious);
  }

  deleteSchedule(queue: string, key: string): Promise<boolean> {
    this.assertOpen();
    return this.schedules.delete(queue, key);
  }

  async listQueues(): Promise<QueueSummary[]> {
    this.assertOpen();
    return this.registry.list();
  }

  async listJobs(queue: string, { state, offset, limit }: ListJobsOptions): Promise<JobPage> {
    const [total, rows, dropped] = await this.run<[number, [id: string, flat: string[]][], string[]]>('list-jobs', queue, [
      state,
      offset,
      limit,
      ...this.retentionAges(),
    ]);
    this.index.dropRetired(dropped);
    return { total, jobs: rows.map(([id, flat]) => jobStateOf(queue, id, fieldsOf(flat))) };
  }

  /**
   * [completed, dead] retention ages for the scripts that read finished jobs: they drop what is past
   * its age first, so an idle queue honours it too (the job hashes expire by themselves as well).
   */
  private retentionAges(): [completedAgeMs: number, deadAgeMs: number] {
    return [this.retention.completed[1], this.retention.dead[1]];
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Fetches, start marks and completions under way answer, and the malformed jobs they took are dead-lettered, before the connection goes.
    await this.fetcher.close();
    await Promise.all([this.starts.drain(), this.completions.drain()]);
    await this.malformed.drain();
    await Promise.all([this.blocking.close(), this.watcher.close()]);
    await this.server.close();
  }

  private assertOpen(): void {
    checkOpen(this.name, this.closed);
  }

  private async run<T>(name: ScriptName, queue: string, args: (string | number)[]): Promise<T> {
    this.assertOpen();
    return this.scripts.run<T>(name, queue, args);
  }

  private async settle<T = unknown>(name: ScriptName, delivery: Delivery, args: (string | number)[]): Promise<T> {
    return this.run<T>(name, delivery.queue, [delivery.job.id, delivery.token, ...args]);
  }
}

/** A hash as HGETALL returns it, flat, as an object. */
function fieldsOf(flat: string[]): Record<string, string> {
  const fields: Record<string, string> = {};
  for (let i = 0; i < flat.length; i += 2) fields[flat[i]] = flat[i + 1];
  return fields;
}
