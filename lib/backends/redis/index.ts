export * from './redis.client';
export type { RedisClientOptions, RedisConnectionInput } from './redis-client.options';
export * from './redis-job-state.store';
export * from './redis-unavailable.error';
