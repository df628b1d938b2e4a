/** The Nest layer (`@mindtrace/jobs/nest`): JobsModule, the consumer and schedule decorators and the 400 filter. Needs @nestjs/common and @nestjs/core. */
export * from './jobs.module';
export * from './decorators/run.decorator';
export * from './decorators/on-job-event.decorator';
export * from './decorators/schedule.decorator';
export type { ConsumerMetadata } from './decorators/consumer.decorator';
export * from './interfaces';
export { JOBS_MODULE_OPTIONS } from './jobs.module-definition';
export { JOBS_BACKEND } from './jobs.constants';
export { JobValidationExceptionFilter, jobValidationErrorBody, type JobValidationErrorBody } from './job-validation.filter';
