export * from './job-input';
export * from './job-schema';
export * from './job';
export { jobFromSchema } from './job-from-schema';
export { MAX_PAYLOAD_DEPTH, DEFAULT_MAX_PAYLOAD_BYTES } from './payload-limits';
