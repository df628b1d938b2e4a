import { Queue, Worker, type ConnectionOptions } from 'bullmq';
import Redis from 'ioredis';
import type { BenchJob } from '../bench-job';
import type { BenchContext, BenchQueue, BenchSystem, ConsumeHandlers, RunningConsumers } from './bench-system.interface';
import { deleteKeysByPrefix, probeRedis, runPrefix } from './servers';

const JOB_NAME = 'bench';
const JOB_OPTIONS = { removeOnComplete: true };

/** BullMQ's Queue + Worker, the peer users would pick instead of our Redis backend, on the same Redis. */
class BullmqQueue implements BenchQueue {
  private readonly queue: Queue<BenchJob>;
  private readonly workers = new Set<Worker<BenchJob>>();

  constructor(
    private readonly name: string,
    private readonly connection: ConnectionOptions,
    private readonly prefix: string,
    private readonly redisUrl: string,
  ) {
    this.queue = new Queue<BenchJob>(name, { connection, prefix });
  }

  async publish(job: BenchJob): Promise<void> {
    await this.queue.add(JOB_NAME, job, JOB_OPTIONS);
  }

  async publishBatch(jobs: readonly BenchJob[]): Promise<void> {
    await this.queue.addBulk(jobs.map((data) => ({ name: JOB_NAME, data, opts: JOB_OPTIONS })));
  }

  async consume(concurrency: number, handlers: ConsumeHandlers): Promise<RunningConsumers> {
    const worker = new Worker<BenchJob>(
      this.name,
      async (job) => {
        handlers.onJob(job.data);
      },
      { connection: this.connection, prefix: this.prefix, concurrency, autorun: true },
    );
    worker.on('failed', (job, error) => handlers.onError(new Error(`job ${job?.id ?? '?'} failed: ${error.message}`)));
    worker.on('error', (error) => handlers.onError(error));
    this.workers.add(worker);
    await worker.waitUntilReady();
    return {
      drain: async () => {
        await worker.close();
        this.workers.delete(worker);
      },
    };
  }

  async close(): Promise<void> {
    await Promise.all([...this.workers].map((worker) => worker.close()));
    await this.queue.close();
  }

  async teardown(): Promise<void> {
    try {
      await Promise.all([...this.workers].map((worker) => worker.close()));
      await this.queue.obliterate({ force: true });
    } finally {
      await this.queue.close();
      const redis = new Redis(this.redisUrl);
      try {
        await deleteKeysByPrefix(redis, `${this.prefix}:${this.name}:`);
      } finally {
        redis.disconnect();
      }
    }
  }
}

export const bullmqSystem: BenchSystem = {
  name: 'bullmq',
  description: 'BullMQ Queue + Worker (autorun, concurrency option, removeOnComplete) on the same Redis',
  notes: ['bullmq: no payload validation (BullMQ has none); ours validates on publish and before each run'],
  multiProcess: true,
  probe: (context) => probeRedis(context.redisUrl),
  open: async (queue: string, context: BenchContext) => {
    const url = new URL(context.redisUrl);
    const connection: ConnectionOptions = {
      host: url.hostname,
      port: Number(url.port || 6379),
      db: Number(url.pathname.slice(1) || 0),
      username: url.username ? decodeURIComponent(url.username) : undefined,
      password: url.password ? decodeURIComponent(url.password) : undefined,
      maxRetriesPerRequest: null,
    };
    return new BullmqQueue(queue, connection, runPrefix(context, 'bull'), context.redisUrl);
  },
};
