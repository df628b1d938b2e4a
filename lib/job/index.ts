export * from './job-input';
export * from './job-schema';
export * from './job';
export { jobFromSchema } from './job-from-schema';
