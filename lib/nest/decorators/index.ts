export * from './consumer.decorator';
export * from './run.decorator';
export * from './on-job-event.decorator';
export * from './schedule.decorator';
