/** The public API of @mindtrace/jobs: everything a user imports comes from here. */
export * from './errors';
export * from './job';
export * from './backend';
export * from './backends/local';
export * from './backends/redis';
export * from './backends/rabbitmq';
export { Orchestrator, type RegisterOptions, type BatchPublishResult } from './orchestrator/orchestrator';
export type { PublishOptions } from './orchestrator/publish-options';
export * from './orchestrator/job-events';
export { Consumer, ConsumerBase } from './consumer/consumer';
export * from './consumer/consumer-options';
export * from './consumer/backoff';
export { type RunContext, type RunHandler } from './consumer/queue-worker';
export * from './nest';
