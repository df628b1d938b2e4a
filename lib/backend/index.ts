export * from './queue-type';
export * from './job-record';
export * from './job-state';
export * from './retention-options';
export * from './job-backend.interface';
export * from './job-state-store.interface';
export * from './flow-control';
export * from './schedule-record';
