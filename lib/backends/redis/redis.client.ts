import { randomUUID } from 'node:crypto';
import { Logger } from '../../logger/logger';
import type { Cluster, Redis } from 'ioredis';
import type { BackendCapabilities, Delivery, FetchOptions, JobBackend, PublishItem } from '../../backend/job-backend.interface';
import type { DeadLetter, JobFailure, JobState, QueueStats } from '../../backend/job-state';
import { QUEUE_TYPES, type QueueType } from '../../backend/queue-type';
import {
  BackendClosedError,
  InvalidOptionError,
  JobNotFoundError,
  JobsError,
  LeaseLostError,
  MalformedJobError,
  QueueNotDeclaredError,
  QueueTypeMismatchError,
} from '../../errors';
import { failureOf } from '../../consumer/job-failure';
import { BlockingConnections } from './blocking-connections';
import { FinishWatcher } from './finish-watcher';
import { IdIndex } from './id-index';
import { errorOf, jobStateOf } from './job-hash';
import { decodeJob } from './job-record-decoding';
import { sortFetched, type FetchedJob, type MalformedDelivery } from './fetched-jobs';
import { MalformedJobs } from './malformed-jobs';
import { watchConnection } from './connection-watch';
import { UnansweredCommandError, answered } from './redis-call';
import { isCluster, resolveRedisConnection, type RedisClientOptions, type RedisConnectionInput } from './redis-client.options';
import { RedisKeys } from './redis-keys';
import { PUBLISH_SCRIPTS, QUEUE_SCRIPTS, RedisScripts, type PublishScriptName, type ScriptName } from './redis-scripts';
import { RedisUnavailableError } from './redis-unavailable.error';
import { SettleBatcher } from './settle-batcher';
import { UnansweredPublishes } from './unanswered-publishes';

/** A consumer with nothing to do still wakes this often, so a deleted or redeclared queue is noticed. */
const MAX_BLOCK_MS = 10_000;

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
    // The id index (P:index) knows every job's queue; each publish call's nonce tells a resend apart.
    uniqueJobIds: true,
    releaseKeepsOrder: true,
  };

  private readonly redis: Redis | Cluster;
  private readonly owned: boolean;
  private readonly keys: RedisKeys;
  private readonly scripts: RedisScripts<ScriptName>;
  private readonly publishScripts: RedisScripts<PublishScriptName>;
  /** On Redis Cluster the id index is in a slot of its own, so publish cannot write it in its script. */
  private readonly cluster: boolean;
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
  /**
   * Token bases of fetches (and completeAndFetch batches) that got no answer, per queue: the next fetch
   * of the queue sends one again, and Redis hands back the jobs that call took if it ran (fetch is
   * idempotent by its token base), instead of leaving them leased to nobody until the lease runs out.
   */
  private readonly unanswered = new Map<string, string[]>();
  private readonly unansweredPublishes = new UnansweredPublishes();
  private closed = false;
  private readonly logger = new Logger('RedisClient');
  /** Jobs fetched that are not job records: dead-lettered in the background, apart from the healthy ones. */
  private readonly malformed = new MalformedJobs((job, failure) => this.deadLetterMalformed(job, failure), this.logger);
  /** host:port (never credentials), for messages. */
  private readonly address: string;
  private readonly commandTimeoutMs: number;
  private readonly unwatch: () => void;

  /**
   * `new RedisClient({ host, port, db, prefix, ...ioredis options })`, `new RedisClient('redis://…',
   * { prefix, ...ioredis options })`, or an ioredis instance (not closed by us) with `{ prefix, retention, commandTimeoutMs }`.
   */
  constructor(connection: RedisConnectionInput = {}, options: RedisClientOptions = {}) {
    const resolved = resolveRedisConnection('RedisClient', connection, options);
    this.redis = resolved.redis;
    this.owned = resolved.owned;
    this.address = resolved.address;
    this.commandTimeoutMs = resolved.commandTimeoutMs;
    this.keys = new RedisKeys(resolved.prefix);
    this.retention = resolved.retention;
    this.unwatch = watchConnection(this.redis, this.address, this.logger);
    this.scripts = new RedisScripts(this.redis, QUEUE_SCRIPTS, this.commandTimeoutMs);
    this.publishScripts = new RedisScripts(this.redis, PUBLISH_SCRIPTS, this.commandTimeoutMs);
    this.cluster = isCluster(this.redis);
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
    const type = await this.bounded('queueType', queue, this.redis.hget(this.keys.queue(queue)[0], 'type'));
    return (type as QueueType | null) ?? null;
  }

  async deleteQueue(queue: string): Promise<void> {
    const ids = await this.run<string[]>('delete', queue, [this.keys.finished(queue)]);
    await this.bounded('deleteQueue', queue, this.index.drop(ids));
    for (const wait of this.waits.get(queue) ?? []) wait.abort();
  }

  async cleanQueue(queue: string): Promise<number> {
    const ids = await this.run<string[]>('clean', queue, [this.keys.finished(queue)]);
    await this.bounded('cleanQueue', queue, this.index.drop(ids));
    return ids.length;
  }

  countWaiting(queue: string): Promise<number> {
    return this.run<number>('count-waiting', queue, []);
  }

  /**
   * One round trip. On a standalone server it is one script, which also checks and writes the id
   * index; on Redis Cluster the index is in another slot, so its claim travels in parallel with the
   * queue's script, and a publish refused by either is undone in the other (see publishOnCluster).
   */
  async publish(queue: string, items: PublishItem[]): Promise<void> {
    this.assertOpen();
    if (items.length === 0) return;
    // The call's nonce, stored with its jobs: a resend of this call by ioredis is told apart from a
    // second publish of the same job. A job published again after a call that got no answer goes
    // with that call's nonce instead (UnansweredPublishes).
    const nonce = randomUUID();
    const ids = items.map(({ job }) => job.id);
    const nonces = this.unansweredPublishes.noncesFor(ids, nonce);
    const args: (string | number)[] = [this.keys.jobPrefix(queue), queue, nonce, items.length];
    const now = Date.now();
    for (const { job, runAt } of items) {
      // Sent as a delay, not a time: the script adds it to the Redis clock, so client clocks may drift.
      args.push(job.id, JSON.stringify(job), job.priority, runAt === undefined ? 0 : Math.max(0, Math.ceil(runAt - now)));
    }
    nonces.forEach((own, i) => own !== nonce && args.push(i, own));
    try {
      if (this.cluster) await this.publishOnCluster(queue, ids, nonces, args);
      else await this.publishOnServer(queue, args);
    } catch (err) {
      // Refused (a JobsError) is an answer; anything else leaves it unknown whether the jobs are in.
      this.unansweredPublishes.settled(ids, nonces, err instanceof JobsError);
      throw err;
    }
    this.unansweredPublishes.settled(ids, nonces, true);
  }

  /** One script, which also checks and writes the id index (its eighth key). */
  private async publishOnServer(queue: string, args: (string | number)[]): Promise<void> {
    try {
      await this.publishScripts.run('publish', [...this.keys.queue(queue), this.index.key], args);
    } catch (err) {
      throw this.translate(err as Error, queue);
    }
  }

  /**
   * The queue's script and the index claim go out together. If the script refuses the jobs, the
   * index entries the claim made are dropped again; if the claim finds an id that belongs to another
   * queue, the jobs the script enqueued are withdrawn. Between the two a consumer of this queue may
   * take such a job: it then runs here as well (logged), the one window the two slots leave open.
   */
  private async publishOnCluster(queue: string, ids: string[], nonces: string[], args: (string | number)[]): Promise<void> {
    const [claimed, published] = await Promise.allSettled([
      this.index.claim(queue, ids),
      this.publishScripts.run('publish', this.keys.queue(queue), args),
    ]);
    if (published.status === 'rejected') {
      if (claimed.status === 'fulfilled') await this.index.drop(claimed.value.created);
      throw this.translate(published.reason as Error, queue);
    }
    // The jobs are enqueued, but whether their ids are indexed is unknown: the caller must hear of it.
    if (claimed.status === 'rejected') throw claimed.reason;
    const { created, elsewhere } = claimed.value;
    if (elsewhere.length === 0) return;
    const taken = await this.publishScripts.run<string[]>('withdraw', this.keys.queue(queue), [this.keys.jobPrefix(queue), ...ids.flatMap((id, i) => [id, nonces[i]])]);
    await this.index.drop(created.filter((id) => !taken.includes(id)));
    if (taken.length > 0) this.logger.warn(`publish to "${queue}" was refused, but a consumer took job(s) ${taken.join(', ')} before it could be withdrawn: they run in "${queue}" too`);
    const [first] = elsewhere;
    throw this.translate(new Error(`MINDTRACE_ELSEWHERE ${first.id} ${first.queue}`), queue);
  }

  async fetch(queue: string, max: number, options: FetchOptions): Promise<Delivery[]> {
    // The common case, jobs ready, costs one script call and nothing else.
    const first = await this.take(queue, max, options.leaseMs, options.wait);
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
        const next = await this.take(queue, max, options.leaseMs, true);
        if (next.deliveries.length > 0 || wait.signal.aborted) return next.deliveries;
        wakeInMs = next.wakeInMs;
      }
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
      waits.delete(wait);
      if (waits.size === 0) this.waits.delete(queue);
    }
  }

  /**
   * One fetch script call: up to `max` jobs under a lease, and when the next one falls due. A caller
   * about to block (`willWait`) lets the script clear leftover wake tokens when nothing is ready.
   */
  private async take(queue: string, max: number, leaseMs: number, willWait: boolean): Promise<{ deliveries: Delivery[]; wakeInMs: number }> {
    // A fetch that got no answer goes first, under its own token base: if it ran, its jobs come back.
    const pending = this.unanswered.get(queue);
    const base = pending?.pop() ?? randomUUID();
    if (pending?.length === 0) this.unanswered.delete(queue);
    try {
      const [jobs, wakeInMs] = await this.run<[FetchedJob[], number]>('fetch', queue, [max, leaseMs, base, willWait ? 1 : 0]);
      return { deliveries: this.decoded(queue, jobs), wakeInMs };
    } catch (err) {
      if (err instanceof RedisUnavailableError) this.rememberUnanswered(queue, base);
      throw err;
    }
  }

  /** Bounded: each consumer that keeps failing reuses one base, so only a burst of failures can fill it. */
  private rememberUnanswered(queue: string, base: string): void {
    const bases = this.unanswered.get(queue) ?? [];
    if (bases.length < 64) bases.push(base);
    this.unanswered.set(queue, bases);
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
    const base = randomUUID();
    const args: (string | number)[] = [this.keys.jobPrefix(queue), count, age, this.keys.finished(queue), leaseMs, base];
    for (const { delivery, resultJson, fetchMax } of batch) args.push(delivery.job.id, delivery.token, resultJson, fetchMax);
    let dropped: string[];
    let lost: number[];
    let jobs: FetchedJob[];
    // Not through run(): a batch accepted before close() must still go out while close() drains it.
    try {
      [dropped, lost, jobs] = await this.scripts.run<[string[], number[], FetchedJob[]]>('complete', this.keys.queue(queue), args);
    } catch (err) {
      const error = this.translate(err as Error, queue);
      // It may have run and taken next jobs: the next fetch of the queue asks for them again.
      if (error instanceof RedisUnavailableError && batch.some((c) => c.fetchMax > 0)) this.rememberUnanswered(queue, base);
      throw error;
    }
    this.dropFromIndex(dropped);
    const lostAt = new Set(lost.map((index) => index - 1));
    // The script took next jobs only for the completions that went through, in batch order.
    const taken = this.decoded(queue, jobs);
    return batch.map((c, i) => (lostAt.has(i) ? new LeaseLostError(queue, c.delivery.job.id) : taken.splice(0, c.fetchMax)));
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
    const args = [this.keys.jobPrefix(queue), id, token, JSON.stringify(failure), count, age, this.keys.finished(queue)];
    let dropped: string[];
    try {
      dropped = await this.scripts.run<string[]>('dead-letter', this.keys.queue(queue), args);
    } catch (err) {
      throw this.translate(err as Error, queue, id);
    }
    // A dead letter is work someone must look at: dropping one is never silent.
    if (dropped.length > 0) this.logger.warn(`retention (dead) dropped ${dropped.length} dead letter(s) of "${queue}": ${dropped.slice(0, 10).join(', ')}${dropped.length > 10 ? ', …' : ''}`);
    this.dropFromIndex(dropped);
  }

  /** A producer that wrote a job by hand may not have indexed it: getJob must find its dead letter. */
  private async deadLetterMalformed(job: MalformedDelivery, failure: JobFailure): Promise<void> {
    await this.putDead(job.queue, job.id, job.token, failure);
    await this.bounded('deadLetter', job.queue, this.index.adopt(job.queue, job.id));
  }

  /**
   * The fetched jobs that decode, as deliveries. Each of the others is dead-lettered (MalformedJobError)
   * apart from them, in the background.
   */
  private decoded(queue: string, jobs: FetchedJob[]): Delivery[] {
    const { deliveries, malformed } = sortFetched(queue, jobs);
    if (malformed.length > 0) this.malformed.add(malformed);
    return deliveries;
  }

  async release(delivery: Delivery): Promise<void> {
    await this.settle('release', delivery, []);
  }

  async getJob(id: string): Promise<JobState | null> {
    this.assertOpen();
    const queue = await this.bounded('getJob', null, this.index.queueOf(id));
    if (queue === null) return null;
    let flat: string[];
    try {
      let dropped: string[];
      [flat, dropped] = await this.run<[string[], string[]]>('get-job', queue, [id, ...this.retentionAges()]);
      this.dropFromIndex(dropped);
    } catch (err) {
      if (err instanceof QueueNotDeclaredError) return null;
      throw err;
    }
    if (flat.length === 0) return null;
    const fields: Record<string, string> = {};
    for (let i = 0; i < flat.length; i += 2) fields[flat[i]] = flat[i + 1];
    return jobStateOf(queue, id, fields);
  }

  async waitForFinished(id: string, signal: AbortSignal): Promise<JobState> {
    this.assertOpen();
    const queue = await this.bounded('waitForResult', null, this.index.queueOf(id));
    if (queue === null) throw new JobNotFoundError(id);
    return this.watcher.waitFor(this.keys.finished(queue), id, () => this.getJob(id), signal);
  }

  async listDeadLetters(queue: string, limit: number): Promise<DeadLetter[]> {
    type Row = [id: string, json: string | null, attempt: string | null, error: string | null, priority: string | null];
    const [rows, dropped] = await this.run<[Row[], string[]]>('list-dead', queue, [limit, this.retention.dead[1]]);
    this.dropFromIndex(dropped);
    return rows.map(([id, json, attempt, error, priority]) => {
      const { record, problem } = decodeJob(id, json, Number(attempt ?? 0), priority === null ? undefined : Number(priority));
      // Each dead letter is shown: one whose record cannot be read with what can be known.
      const failure = error === null ? failureOf(new MalformedJobError(queue, id, problem ?? 'it has no error recorded'), record.attempt) : errorOf(error, record.attempt);
      return { job: record, error: failure };
    });
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
    await this.bounded('purgeDeadLetters', queue, this.index.drop(ids));
    return ids.length;
  }

  async queueStats(queue: string): Promise<QueueStats> {
    const [waiting, delayed, active, completed, dead, dropped] = await this.run<[number, number, number, number, number, string[]]>('stats', queue, this.retentionAges());
    this.dropFromIndex(dropped);
    return { waiting, delayed, active, completed, dead };
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
    for (const waits of this.waits.values()) for (const wait of waits) wait.abort();
    // Completions already accepted, and malformed jobs being dead-lettered, reach Redis before the connection goes.
    await this.completions.drain();
    await this.malformed.drain();
    await Promise.all([this.blocking.close(), this.watcher.close()]);
    if (this.owned) {
      // QUIT waits for its reply; without a connection it would wait for Redis to come back.
      if (this.redis.status === 'ready') await answered('close', this.redis.quit(), this.commandTimeoutMs).catch(() => this.redis.disconnect());
      else this.redis.disconnect();
    }
    this.unwatch();
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

  /** `jobId`: the job a settle is about, named by the LeaseLostError it may fail with. */
  private async run<T>(name: ScriptName, queue: string, args: (string | number)[], jobId?: string): Promise<T> {
    this.assertOpen();
    try {
      return await this.scripts.run<T>(name, this.keys.queue(queue), [this.keys.jobPrefix(queue), ...args]);
    } catch (err) {
      throw this.translate(err as Error, queue, jobId);
    }
  }

  private async settle<T = unknown>(name: ScriptName, delivery: Delivery, args: (string | number)[]): Promise<T> {
    return this.run<T>(name, delivery.queue, [delivery.job.id, delivery.token, ...args], delivery.job.id);
  }

  /** A command that is not a script, bounded and translated like one (queue null: not about one queue). */
  private async bounded<T>(operation: string, queue: string | null, sent: Promise<T>): Promise<T> {
    try {
      return await answered(operation, sent, this.commandTimeoutMs);
    } catch (err) {
      if (err instanceof UnansweredCommandError) throw this.unavailable(err, queue);
      throw err;
    }
  }

  private unavailable(err: UnansweredCommandError, queue: string | null): RedisUnavailableError {
    const reconnecting = ['connecting', 'reconnecting', 'connect'].includes(this.redis.status);
    return new RedisUnavailableError(err.operation, queue, this.address, err.reason, reconnecting);
  }

  /** Turns a script's coded error into the typed error the contract promises; a failed connection into RedisUnavailableError. */
  private translate(err: Error, queue: string, jobId?: string): Error {
    if (err instanceof UnansweredCommandError) return this.unavailable(err, queue);
    const message = err.message ?? '';
    if (message.includes('MINDTRACE_NOT_DECLARED')) return new QueueNotDeclaredError(queue);
    if (message.includes('MINDTRACE_LEASE_LOST')) return new LeaseLostError(queue, jobId ?? '?');
    const priority = /MINDTRACE_PRIORITY (\w+)/.exec(message);
    if (priority) return new InvalidOptionError(`publish to "${queue}"`, 'priority', `is only meaningful on a priority queue; "${queue}" is ${priority[1]}`);
    const duplicate = /MINDTRACE_DUPLICATE (\S+)/.exec(message);
    if (duplicate) {
      return new InvalidOptionError(
        `publish to "${queue}"`,
        'job.id',
        `${duplicate[1]} is already a job of "${queue}" (or twice in this batch) — if this call retries a publish that failed without an answer ` +
          '(RedisUnavailableError) in another process, that publish went through and the job is enqueued once (getJob tells); ' +
          'otherwise publish a new job (jobFromSchema) instead of the same one twice',
      );
    }
    const elsewhere = /MINDTRACE_ELSEWHERE (\S+) (.*)$/.exec(message);
    if (elsewhere) {
      return new InvalidOptionError(`publish to "${queue}"`, 'job.id', `${elsewhere[1]} is already a job of queue "${elsewhere[2]}" — publish a new job (jobFromSchema) instead of the same one to two queues`);
    }
    return err;
  }

}

