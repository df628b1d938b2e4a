import Redis from 'ioredis';
import type { BenchJob } from '../bench-job';
import type { BenchContext, BenchQueue, BenchSystem, ConsumeHandlers, RunningConsumers } from './bench-system.interface';
import { deleteKeysByPrefix, probeRedis, runPrefix } from './servers';

/** How long an idle consumer blocks before looking again (it is woken at once by a push anyway). */
const BLOCK_SECONDS = 1;

/**
 * The least a reliable Redis queue needs, as a ceiling for our Redis backend: a publish is one LPUSH;
 * a consumer moves jobs from the wait list to a processing list (LMOVE, so a crash leaves them there,
 * not lost), runs them, and removes them with LREM. Round trips match our backend's: one per publish
 * or batch, one per fetch of up to `concurrency` jobs (pipelined LMOVEs), one per ack; an idle consumer
 * blocks in BLMOVE on a connection of its own. No scripts, no job state, no retries, no validation.
 */
class RawIoredisQueue implements BenchQueue {
  private readonly redis: Redis;
  private readonly waitKey: string;
  private readonly processingKey: string;
  private readonly stops = new Set<() => Promise<void>>();

  constructor(
    private readonly keyPrefix: string,
    redisUrl: string,
  ) {
    this.redis = new Redis(redisUrl);
    this.waitKey = `${keyPrefix}:wait`;
    this.processingKey = `${keyPrefix}:processing`;
  }

  async publish(job: BenchJob): Promise<void> {
    await this.redis.lpush(this.waitKey, JSON.stringify(job));
  }

  async publishBatch(jobs: readonly BenchJob[]): Promise<void> {
    await this.redis.lpush(this.waitKey, ...jobs.map((job) => JSON.stringify(job)));
  }

  async consume(concurrency: number, handlers: ConsumeHandlers): Promise<RunningConsumers> {
    const blocking = this.redis.duplicate();
    const running = new Set<Promise<void>>();
    let stopping = false;

    const settle = async (message: string): Promise<void> => {
      handlers.onJob(JSON.parse(message) as BenchJob);
      await this.redis.lrem(this.processingKey, 1, message);
    };
    const fetch = async (want: number): Promise<string[]> => {
      const pipeline = this.redis.pipeline();
      for (let i = 0; i < want; i++) pipeline.lmove(this.waitKey, this.processingKey, 'RIGHT', 'LEFT');
      const replies = (await pipeline.exec()) ?? [];
      const messages: string[] = [];
      for (const [error, message] of replies) {
        if (error) throw error;
        if (typeof message === 'string') messages.push(message);
      }
      if (messages.length > 0 || stopping) return messages;
      const message = await blocking.blmove(this.waitKey, this.processingKey, 'RIGHT', 'LEFT', BLOCK_SECONDS);
      return message === null ? [] : [message];
    };
    const loop = async (): Promise<void> => {
      while (!stopping) {
        if (running.size >= concurrency) {
          await Promise.race(running);
          continue;
        }
        let messages: string[];
        try {
          messages = await fetch(concurrency - running.size);
        } catch (err) {
          if (!stopping) handlers.onError(err as Error);
          return;
        }
        for (const message of messages) {
          const done: Promise<void> = settle(message)
            .catch((err: Error) => handlers.onError(err))
            .finally(() => running.delete(done));
          running.add(done);
        }
      }
    };
    await blocking.ping();
    const looping = loop();
    const stop = async (): Promise<void> => {
      stopping = true;
      // Ends a BLMOVE in progress at once; all jobs have run by then, so it cannot be holding one.
      blocking.disconnect();
      await looping;
      await Promise.all(running);
    };
    this.stops.add(stop);
    return {
      drain: async () => {
        this.stops.delete(stop);
        await stop();
      },
    };
  }

  async close(): Promise<void> {
    await Promise.all([...this.stops].map((stop) => stop()));
    await this.redis.quit();
  }

  async teardown(): Promise<void> {
    await Promise.all([...this.stops].map((stop) => stop()));
    try {
      await deleteKeysByPrefix(this.redis, `${this.keyPrefix}:`);
    } finally {
      await this.redis.quit();
    }
  }
}

export const rawIoredisSystem: BenchSystem = {
  name: 'raw-ioredis',
  description: 'bare ioredis: LPUSH; LMOVE wait→processing (BLMOVE when idle); LREM on ack; no scripts',
  notes: ['raw-ioredis: a ceiling, not a peer: no job state, retries, leases, validation or dead letters'],
  multiProcess: true,
  probe: (context) => probeRedis(context.redisUrl),
  open: async (queue: string, context: BenchContext) => new RawIoredisQueue(`${runPrefix(context, 'raw')}:${queue}`, context.redisUrl),
};
