/** The dashboard's options after checking (ResolvedJobsDashboardOptions). */
export const JOBS_DASHBOARD_OPTIONS = Symbol('mindtrace:jobs:dashboard-options');
