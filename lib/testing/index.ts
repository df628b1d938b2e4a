/** @mindtrace/jobs/testing: run a Nest app's jobs to completion in its tests. */
export { JobsTester, type DrainOptions, type SettledJob } from './jobs-tester';
export { DrainTimeoutError } from './drain-timeout.error';
