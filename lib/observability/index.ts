/** Operating jobs: health checks, Prometheus metrics (prom-client) and OpenTelemetry traces (@opentelemetry/api). */
export type { JobInstrumentation, RunScope } from './job-instrumentation';
export type { HealthOptions, HealthStatus, JobsHealthReport, ConsumerHealth, QueueHealth } from './health/jobs-health-report';
export type { ConsumerLoopState } from '../consumer/consumer-loop-status';
export { JobTracing, type JobTracingOptions } from './tracing/job-tracing';
export { JobMetrics, type JobMetricsOptions, type MetricsRegistry } from './metrics/job-metrics';
