export * from './job-input';
export * from './job-schema';
export * from './job';
export * from './job-from-schema';
