import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type {
  BackendCapabilities,
  Delivery,
  FetchOptions,
  JobBackend,
  JobPage,
  ListJobsOptions,
  PublishItem,
  QueueSummary,
} from '../../../backend/job-backend.interface';
import type { DeadLetter, JobFailure, JobProgress, JobState, QueueStats } from '../../../backend/job-state';
import type { DeduplicatedPublish, DeduplicationOptions, RateLimit } from '../../../backend/flow-control';
import type { ScheduleRecord } from '../../../backend/schedule-record';
import { checkOpen, deadLettersDroppedWarning } from '../../../backend/backend-rules';
import { checkQueueName } from '../../../backend/queue-name';
import { QUEUE_TYPES, type QueueType } from '../../../backend/queue-type';
import type { ResolvedRetention } from '../../../backend/retention-options';
import { BackendClosedError } from '../../../errors';
import { Logger } from '../../../logger/logger';
import { CompletionBatch, type PendingCompletion } from './completion-batch';
import { deliveryOf, failureOf, recordOf, stateOf } from './file-job-row';
import { FileDeduplication } from './file-deduplication';
import { FileFlowControl } from './file-flow-control';
import { FileJobMoves } from './file-job-moves';
import { FileSchedules } from './file-schedules';
import { FileJobReads } from './file-job-reads';
import { FileRetention } from './file-retention';
import type { MoveEffects } from './move-effects';
import { FileWaits } from './file-waits';
import { StatementCache } from './statement-cache';
import { prepareDatabase, type Durability } from './file-schema';
import { openSqlite } from './open-sqlite';
import type { SqliteDatabase, SqliteDriverName } from './sqlite-driver';

export interface FileEngineOptions {
  path: string;
  durability: Durability;
  driver?: SqliteDriverName;
  retention: ResolvedRetention;
}

/**
 * The Local backend on a SQLite file: durable, and shared by every process of the host that opens the
 * same file. Each move is one transaction (FileJobMoves); a taken job is leased, so a job whose
 * holder was killed runs again once its lease runs out. Those waiting for another process wait in
 * FileWaits, woken without polling.
 */
export class FileLocalEngine implements JobBackend {
  readonly name = 'LocalClient';
  readonly capabilities: BackendCapabilities = {
    queueTypes: QUEUE_TYPES,
    leases: true,
    priorityRange: [-Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
    jobState: true,
    sharedJobState: true,
    stallCount: true,
    uniqueJobIds: true,
    releaseKeepsOrder: true,
    queueListing: true,
    jobListing: ['waiting', 'delayed', 'active', 'failed', 'completed', 'dead'],
    schedules: true,
    pause: true,
    rateLimit: true,
    deduplication: true,
    progress: true,
  };

  private readonly db: SqliteDatabase;
  private readonly reads: FileJobReads;
  private readonly moves: FileJobMoves;
  private readonly flow: FileFlowControl;
  private readonly schedules: FileSchedules;
  private readonly deduplication: FileDeduplication;
  private readonly waits: FileWaits;
  private readonly completions = new CompletionBatch((batch) => this.writeCompletions(batch));
  /** Lease tokens are unique across processes: this client's random part and a counter. */
  private readonly tokenPrefix = randomUUID();
  private tokens = 0;
  private closed = false;
  private readonly logger = new Logger('LocalClient');

  constructor(private readonly options: FileEngineOptions) {
    mkdirSync(dirname(options.path), { recursive: true });
    this.db = openSqlite('LocalClient', options.path, options.driver);
    prepareDatabase(this.db, options.durability);
    const statements = new StatementCache(this.db);
    const retention = new FileRetention(statements, options.retention);
    this.reads = new FileJobReads(statements, retention);
    this.flow = new FileFlowControl(statements);
    this.moves = new FileJobMoves(statements, this.reads, retention, this.flow);
    this.schedules = new FileSchedules(statements, this.reads, this.moves);
    this.deduplication = new FileDeduplication(statements, this.moves);
    this.waits = new FileWaits(
      options.path,
      this.reads,
      (queue, max, leaseMs, rateLimit) => this.claim(queue, max, leaseMs, rateLimit),
      (queue, now, rateLimit) => this.flow.reopensAt(queue, now, rateLimit),
    );
  }

  /** Which SQLite binding this client runs on. */
  get driver(): SqliteDriverName {
    return this.db.driver;
  }

  async declareQueue(queue: string, type: QueueType): Promise<void> {
    this.assertOpen();
    checkQueueName(`${this.name}.declareQueue`, queue);
    this.moves.declare(queue, type);
  }

  async queueType(queue: string): Promise<QueueType | null> {
    this.assertOpen();
    return this.reads.typeOf(queue);
  }

  async deleteQueue(queue: string): Promise<void> {
    this.assertOpen();
    this.afterMove(this.moves.deleteQueue(queue));
  }

  async cleanQueue(queue: string): Promise<number> {
    this.assertOpen();
    const { value, effects } = this.moves.clean(queue);
    this.afterMove(effects);
    return value;
  }

  async countWaiting(queue: string): Promise<number> {
    this.assertOpen();
    return this.reads.count(queue, 'waiting', Date.now());
  }

  async publish(queue: string, items: PublishItem[]): Promise<void> {
    this.assertOpen();
    this.afterMove(this.moves.publish(queue, items, Date.now()));
  }

  async fetch(queue: string, max: number, options: FetchOptions): Promise<Delivery[]> {
    this.assertOpen();
    if (options.signal?.aborted) {
      this.reads.typeOrThrow(queue);
      return [];
    }
    const taken = this.claim(queue, max, options.leaseMs, options.rateLimit);
    if (taken.length > 0 || !options.wait) return taken;
    return this.waits.fetch(queue, max, options.leaseMs, options.rateLimit, options.signal, options.returnOnWake === true);
  }

  async extendLease(delivery: Delivery, leaseMs: number): Promise<void> {
    this.assertOpen();
    this.moves.extend(delivery, leaseMs, Date.now());
  }

  async complete(delivery: Delivery, result: unknown): Promise<void> {
    this.assertOpen();
    await this.completions.add(delivery, result, null);
  }

  async completeAndFetch(
    delivery: Delivery,
    result: unknown,
    next: { max: number; leaseMs: number; rateLimit?: RateLimit },
  ): Promise<Delivery[]> {
    this.assertOpen();
    return this.completions.add(delivery, result, next);
  }

  async retry(delivery: Delivery, failure: JobFailure, delayMs: number): Promise<void> {
    this.assertOpen();
    this.afterMove(this.moves.retry(delivery, failure, delayMs, Date.now()));
  }

  async deadLetter(delivery: Delivery, failure: JobFailure): Promise<void> {
    this.assertOpen();
    const { effects } = this.moves.transaction((effects) => this.moves.deadLetter(delivery, failure, Date.now(), effects));
    this.afterMove(effects);
  }

  async release(delivery: Delivery): Promise<void> {
    this.assertOpen();
    this.afterMove(this.moves.release(delivery));
  }

  async getJob(id: string): Promise<JobState | null> {
    this.assertOpen();
    const row = this.reads.get(id, Date.now());
    return row ? stateOf(row) : null;
  }

  async waitForFinished(id: string, signal: AbortSignal): Promise<JobState> {
    this.assertOpen();
    return this.waits.waitForFinished(id, signal);
  }

  async listDeadLetters(queue: string, limit: number): Promise<DeadLetter[]> {
    this.assertOpen();
    return this.reads.listDead(queue, limit, Date.now()).map((row) => ({ job: recordOf(row), error: failureOf(row) as JobFailure }));
  }

  async redrive(queue: string, ids?: readonly string[]): Promise<number> {
    this.assertOpen();
    const { value, effects } = this.moves.redrive(queue, ids, Date.now());
    this.afterMove(effects);
    return value;
  }

  async purgeDeadLetters(queue: string): Promise<number> {
    this.assertOpen();
    const { value, effects } = this.moves.purgeDead(queue, Date.now());
    this.afterMove(effects);
    return value;
  }

  async queueStats(queue: string): Promise<QueueStats> {
    this.assertOpen();
    return this.reads.stats(queue, Date.now());
  }

  async listQueues(): Promise<QueueSummary[]> {
    this.assertOpen();
    return this.reads.queues().sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async listJobs(queue: string, options: ListJobsOptions): Promise<JobPage> {
    this.assertOpen();
    const { total, rows } = this.reads.listJobs(queue, options, Date.now());
    return { total, jobs: rows.map(stateOf) };
  }

  async pauseQueue(queue: string): Promise<void> {
    this.assertOpen();
    this.moves.transaction(() => {
      this.reads.typeOrThrow(queue);
      this.flow.setPaused(queue, true);
    });
  }

  /** Waiting fetches here and in other processes hear of it through the work file, as of a publish. */
  async resumeQueue(queue: string): Promise<void> {
    this.assertOpen();
    const { effects } = this.moves.transaction((effects) => {
      this.reads.typeOrThrow(queue);
      this.flow.setPaused(queue, false);
      effects.readyQueues.add(queue);
    });
    this.afterMove(effects);
  }

  /** Nobody needs waking: a waiting fetch that tries before `until` finds the hold and sets its timer to its end. */
  async holdQueue(queue: string, until: number): Promise<void> {
    this.assertOpen();
    this.moves.transaction(() => {
      this.reads.typeOrThrow(queue);
      this.flow.hold(queue, until);
    });
  }

  async reportProgress(delivery: Delivery, progress: JobProgress): Promise<void> {
    this.assertOpen();
    this.moves.progress(delivery, progress);
  }

  async publishDeduplicated(queue: string, item: PublishItem, deduplication: DeduplicationOptions): Promise<DeduplicatedPublish> {
    this.assertOpen();
    const { value, effects } = this.moves.transaction((effects) => {
      this.reads.typeOrThrow(queue);
      return this.deduplication.publish(queue, item, deduplication, Date.now(), effects);
    });
    this.afterMove(effects);
    return value;
  }

  async getSchedule(queue: string, key: string): Promise<ScheduleRecord | null> {
    this.assertOpen();
    return this.schedules.get(queue, key);
  }

  async listSchedules(queue?: string): Promise<ScheduleRecord[]> {
    this.assertOpen();
    const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
    return this.schedules.list(queue).sort((a, b) => compare(a.queue, b.queue) || compare(a.key, b.key));
  }

  async putSchedule(record: ScheduleRecord, occurrence: PublishItem, expect: number | null, withdrawPrevious: boolean): Promise<boolean> {
    this.assertOpen();
    const { value, effects } = this.moves.transaction((effects) =>
      this.schedules.put(record, occurrence, expect, withdrawPrevious, Date.now(), effects),
    );
    this.afterMove(effects);
    return value;
  }

  async deleteSchedule(queue: string, key: string): Promise<boolean> {
    this.assertOpen();
    const { value, effects } = this.moves.transaction((effects) => this.schedules.delete(queue, key, effects));
    this.afterMove(effects);
    return value;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.completions.flush();
    this.closed = true;
    this.waits.close(new BackendClosedError(this.name));
    this.db.close();
  }

  private assertOpen(): void {
    checkOpen(this.name, this.closed);
  }

  /**
   * One transaction for a tick's completions. A completion whose lease was lost fails alone (nothing of
   * it was written); a failure of the transaction itself fails them all.
   */
  private writeCompletions(batch: PendingCompletion[]): void {
    const outcomes: (Delivery[] | Error)[] = [];
    try {
      const { effects } = this.moves.transaction((effects) => {
        const now = Date.now();
        for (const { delivery, result, next } of batch) {
          try {
            this.moves.complete(delivery, result, now, effects);
            const taken =
              next && next.max > 0
                ? this.moves.claim(delivery.queue, next.max, next.leaseMs, now, () => this.nextToken(), effects, next.rateLimit)
                : [];
            outcomes.push(taken.map(deliveryOf));
          } catch (err) {
            outcomes.push(err as Error);
          }
        }
      });
      this.afterMove(effects);
    } catch (err) {
      for (const item of batch) item.settle(err as Error);
      return;
    }
    batch.forEach((item, i) => item.settle(outcomes[i]));
  }

  private claim(queue: string, max: number, leaseMs: number, rateLimit: RateLimit | undefined): Delivery[] {
    const { value, effects } = this.moves.transaction((effects) =>
      this.moves.claim(queue, max, leaseMs, Date.now(), () => this.nextToken(), effects, rateLimit),
    );
    this.afterMove(effects);
    return value.map(deliveryOf);
  }

  private nextToken(): string {
    return `${this.tokenPrefix}:${++this.tokens}`;
  }

  /** Logs the dead letters retention dropped, and lets the waiters here and elsewhere know. */
  private afterMove(effects: MoveEffects): void {
    for (const [queue, ids] of effects.deadDropped) this.logger.warn(deadLettersDroppedWarning(queue, ids, this.options.retention.dead));
    this.waits.moved(effects);
  }
}
