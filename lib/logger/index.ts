export type { JobsLogger } from './jobs-logger.interface';
export { useJobsLogger } from './logger';
