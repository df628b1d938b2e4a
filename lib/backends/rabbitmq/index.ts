export * from './rabbitmq.client';
export type { RabbitMQClientOptions } from './rabbitmq-client.options';
export type { ConnectionState as RabbitMQConnectionState } from './rabbitmq.connection';
// Lives in lib/errors (Redis's outage error extends it); still exported here for imports from '@mindtrace/jobs/rabbitmq'.
export { BrokerUnavailableError } from '../../errors/broker-unavailable.error';
export * from './job-store-unavailable.error';
export * from './publish-not-confirmed.error';
