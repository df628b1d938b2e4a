export * from './rabbitmq.client';
export type { RabbitMQClientOptions } from './rabbitmq-client.options';
export type { ConnectionState as RabbitMQConnectionState } from './rabbitmq.connection';
export * from './broker-unavailable.error';
export type { JobStateStore } from './job-state.store';
export * from './in-memory-job-state.store';
