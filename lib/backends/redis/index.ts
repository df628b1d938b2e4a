export * from './redis.client';
export type { RedisClientOptions, RedisConnectionInput, ReplicaOptions } from './redis-client.options';
export * from './redis-job-state.store';
export * from './redis-unavailable.error';
export * from './replicas-not-confirmed.error';
