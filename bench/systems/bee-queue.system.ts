import BeeQueue from 'bee-queue';
import Redis from 'ioredis';
import type { BenchJob } from '../bench-job';
import type { BenchContext, BenchQueue, BenchSystem, ConsumeHandlers, RunningConsumers } from './bench-system.interface';
import { deleteKeysByPrefix, probeRedis, runPrefix } from './servers';

/** Longest a draining worker waits for its running jobs (they finish in microseconds here). */
const CLOSE_TIMEOUT_MS = 30_000;

/**
 * bee-queue, the lean Redis queue peers quote for raw speed, on the same Redis: a producer queue that is
 * not a worker, and one worker queue per consume call. `removeOnSuccess` like BullMQ's
 * `removeOnComplete`; events left at bee-queue's defaults.
 */
class BeeQueueQueue implements BenchQueue {
  private readonly producer: BeeQueue<BenchJob>;
  private readonly workers = new Set<BeeQueue<BenchJob>>();

  constructor(
    private readonly name: string,
    private readonly redisUrl: string,
    private readonly prefix: string,
  ) {
    this.producer = this.open(false);
  }

  private open(isWorker: boolean): BeeQueue<BenchJob> {
    return new BeeQueue<BenchJob>(this.name, { redis: { url: this.redisUrl }, prefix: this.prefix, isWorker, removeOnSuccess: true });
  }

  async publish(job: BenchJob): Promise<void> {
    await this.producer.createJob(job).save();
  }

  async publishBatch(jobs: readonly BenchJob[]): Promise<void> {
    const failed = await this.producer.saveAll(jobs.map((job) => this.producer.createJob(job)));
    if (failed.size > 0) throw new Error(`bee-queue saveAll failed for ${failed.size} job(s): ${[...failed.values()][0]?.message}`);
  }

  async consume(concurrency: number, handlers: ConsumeHandlers): Promise<RunningConsumers> {
    const worker = this.open(true);
    worker.on('error', (error) => handlers.onError(error));
    worker.on('failed', (job, error) => handlers.onError(new Error(`job ${job.id} failed: ${error.message}`)));
    await worker.ready();
    worker.process(concurrency, async (job) => {
      handlers.onJob(job.data);
    });
    this.workers.add(worker);
    return {
      drain: async () => {
        await worker.close(CLOSE_TIMEOUT_MS);
        this.workers.delete(worker);
      },
    };
  }

  async close(): Promise<void> {
    await Promise.all([...this.workers].map((worker) => worker.close(CLOSE_TIMEOUT_MS)));
    await this.producer.close();
  }

  async teardown(): Promise<void> {
    try {
      await Promise.all([...this.workers].map((worker) => worker.close(CLOSE_TIMEOUT_MS)));
      await this.producer.destroy();
    } finally {
      await this.producer.close();
      const redis = new Redis(this.redisUrl);
      try {
        await deleteKeysByPrefix(redis, `${this.prefix}:${this.name}:`);
      } finally {
        redis.disconnect();
      }
    }
  }
}

export const beeQueueSystem: BenchSystem = {
  name: 'bee-queue',
  description: 'bee-queue 2 producer + worker queues (process(concurrency), removeOnSuccess) on the same Redis',
  notes: ['bee-queue: no payload validation and no leases (a stalled job is found by a periodic check); ours validates twice'],
  multiProcess: true,
  probe: (context) => probeRedis(context.redisUrl),
  open: async (queue: string, context: BenchContext) => new BeeQueueQueue(queue, context.redisUrl, runPrefix(context, 'bee')),
};
