import { Registry } from 'prom-client';
import { JobMetrics } from '../../lib';

/** What GET /metrics serves: this app's own registry (an app using @willsoto/nestjs-prometheus would pass prom-client's `register`). */
export const metricsRegistry = new Registry();

/** The jobs' counters, histograms and per-queue gauges, registered once for the app (JobsModule's instrumentation). */
export const jobMetrics = new JobMetrics({ registry: metricsRegistry });
