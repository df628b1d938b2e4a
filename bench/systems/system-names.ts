/** Every system the benchmark knows: ours first, then the peers and ceilings they are compared with. */
export const SYSTEM_NAMES = [
  'local',
  'local-file',
  'redis',
  'redis-prefetch',
  'redis-wait',
  'rabbitmq',
  'bullmq',
  'bee-queue',
  'raw-ioredis',
  'raw-amqplib',
] as const;
export type SystemName = (typeof SYSTEM_NAMES)[number];
