import type { CanActivate, Type } from '@nestjs/common';

/** What `JobsDashboardModule.forRoot(options)` takes. */
export interface JobsDashboardOptions {
  /** Where the page is mounted; its JSON API is under `<path>/api`. Default 'jobs-dashboard'. */
  path?: string;
  /** Shows the queues, jobs and schedules but hides redrive, purge, pause and resume, and refuses their POSTs with 403. Default false. */
  readOnly?: boolean;
  /**
   * Guards for the dashboard's routes only (e.g. an admin-role guard), run after the app's global
   * guards. An app whose authentication guard is global (APP_GUARD) needs none here.
   */
  guards?: (CanActivate | Type<CanActivate>)[];
}

/** The options after checking, defaults filled in. */
export interface ResolvedJobsDashboardOptions {
  path: string;
  readOnly: boolean;
  guards: (CanActivate | Type<CanActivate>)[];
}
