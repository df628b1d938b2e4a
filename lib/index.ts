/** The public API of @mindtrace/jobs: everything a user imports comes from here. */
export * from './errors';
export * from './job';
export * from './backend';
export * from './backends/local';
// ioredis and amqplib load when a RedisClient or RabbitMQClient is constructed, not here.
export * from './backends/redis';
export * from './backends/rabbitmq';
export { Orchestrator, type RegisterOptions, type BatchPublishResult } from './orchestrator/orchestrator';
export type { OrchestratorOptions } from './orchestrator/orchestrator-options';
export type { PublishOptions } from './orchestrator/publish-options';
export { type ListJobsQuery, JOB_STATUSES, DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT } from './orchestrator/list-jobs-options';
export * from './orchestrator/job-events';
export type { ScheduleInfo } from './schedule/schedule-info';
export { type ScheduleOptions, MAX_SCHEDULE_KEY_LENGTH } from './schedule/schedule-options';
export { MAX_DEDUPLICATION_KEY_LENGTH } from './orchestrator/deduplication-options';
export { MAX_PROGRESS_BYTES } from './consumer/progress-value';
export { Consumer, ConsumerBase } from './consumer/consumer';
export * from './consumer/consumer-options';
export * from './consumer/backoff';
export { type RunContext, type RunHandler } from './consumer/queue-worker';
export * from './logger';
// Metrics and traces load prom-client and @opentelemetry/api when a JobMetrics or JobTracing is made.
export * from './observability';
// The Nest layer: its decorators need no Nest; the rest loads @nestjs/* on first use (see lazy-exports).
export * from './nest/decorators/run.decorator';
export * from './nest/decorators/on-job-event.decorator';
export * from './nest/decorators/schedule.decorator';
export type { ConsumerMetadata } from './nest/decorators/consumer.decorator';
export type * from './nest/interfaces';
export { JOBS_BACKEND } from './nest/jobs.constants';
export type { JobValidationErrorBody } from './nest/job-validation.filter';
export { JobsModule, JOBS_MODULE_OPTIONS, JobValidationExceptionFilter, jobValidationErrorBody } from './nest/lazy-exports';
export { JobsHealthIndicator } from './nest/health/lazy-health-indicator';
