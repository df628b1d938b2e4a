/** The jobs dashboard (`@mindtrace/jobs/dashboard`): JobsDashboardModule and the shapes of its JSON API. Needs @nestjs/common and @nestjs/core. */
export * from './jobs-dashboard.module';
export type * from './jobs-dashboard-options.interface';
export type * from './dashboard-api.types';
export type { DashboardErrorBody } from './dashboard-error.filter';
