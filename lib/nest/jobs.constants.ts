/** Metadata keys and injection tokens, namespaced so they cannot collide with other modules'. */
export { CONSUMER_METADATA } from '../consumer/consumer-metadata';
export const RUN_METADATA = 'mindtrace:jobs:run';
export const ON_JOB_EVENT_METADATA = 'mindtrace:jobs:on-job-event';
export const SCHEDULE_METADATA = 'mindtrace:jobs:schedule';
/** The JobsModule options after checking, defaults filled in (ResolvedJobsModuleOptions). */
export const JOBS_RESOLVED_OPTIONS = Symbol('mindtrace:jobs:resolved-options');
/** The backend of one app (made from the options' backend or factory); override it in a TestingModule. */
export const JOBS_BACKEND = Symbol('mindtrace:jobs:backend');
