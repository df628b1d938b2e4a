import type { BenchSystem } from './bench-system.interface';
import type { SystemName } from './system-names';

export * from './bench-system.interface';
export * from './system-names';

/**
 * Loads one adapter. Loading lazily keeps a pipeline consumer process from importing every client
 * library (BullMQ, amqplib, our lib) when it drives only one of them.
 */
export async function loadSystem(name: SystemName): Promise<BenchSystem> {
  switch (name) {
    case 'local':
      return (await import('./local.system')).localSystem;
    case 'local-file':
      return (await import('./local-file.system')).localFileSystem;
    case 'redis':
      return (await import('./redis.system')).redisSystem;
    case 'redis-prefetch':
      return (await import('./redis.system')).redisPrefetchSystem;
    case 'redis-wait':
      return (await import('./redis-wait.system')).redisWaitSystem;
    case 'rabbitmq':
      return (await import('./rabbitmq.system')).rabbitmqSystem;
    case 'bullmq':
      return (await import('./bullmq.system')).bullmqSystem;
    case 'bee-queue':
      return (await import('./bee-queue.system')).beeQueueSystem;
    case 'raw-ioredis':
      return (await import('./raw-ioredis.system')).rawIoredisSystem;
    case 'raw-amqplib':
      return (await import('./raw-amqplib.system')).rawAmqplibSystem;
  }
}
