export * from './rabbitmq.client';
export type { RabbitMQClientOptions } from './rabbitmq-client.options';
export type { ConnectionState as RabbitMQConnectionState } from './rabbitmq.connection';
export * from './broker-unavailable.error';
export * from './job-store-unavailable.error';
