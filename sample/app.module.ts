import { Module, ValidationPipe } from '@nestjs/common';
import { APP_PIPE } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { JobsHealthIndicator, JobsModule } from '../lib';
import { JobsDashboardModule } from '../lib/dashboard';
import { createBackend } from './backend.factory';
import { DetectionController } from './detection/detection.controller';
import { DetectorService } from './detection/detector.service';
import { ObjectDetectionConsumer } from './detection/object-detection.consumer';
import { objectDetectionSchema } from './detection/object-detection.schema';
import { JobsController } from './jobs/jobs.controller';
import { jobMetrics } from './operations/metrics.registry';
import { OperationsController } from './operations/operations.controller';

/**
 * The whole app: JobsModule (global, so Orchestrator can be injected anywhere), one producer
 * (DetectionController), one consumer (ObjectDetectionConsumer), a status endpoint (JobsController) and
 * GET /health and /metrics for operators (OperationsController), and the jobs dashboard at /dashboard.
 * The backend is made when the app starts, not when this file is imported. The pipe is registered
 * here rather than in main.ts so the tests, which boot this module, run exactly this app.
 */
@Module({
  imports: [
    // A factory, not an instance: each app built from this module (each e2e test's) gets its own backend.
    JobsModule.forRoot({ backend: () => createBackend(process.env), schemas: [objectDetectionSchema], instrumentation: [jobMetrics] }),
    TerminusModule.forRoot({ logger: false }),
    // The jobs dashboard at /dashboard. Open in the sample; behind your app's authentication guard in yours.
    JobsDashboardModule.forRoot({ path: 'dashboard' }),
  ],
  controllers: [DetectionController, JobsController, OperationsController],
  providers: [
    DetectorService,
    JobsHealthIndicator,
    ObjectDetectionConsumer,
    // whitelist drops unknown body fields; transform turns the body into the DTO class the schema expects.
    { provide: APP_PIPE, useValue: new ValidationPipe({ whitelist: true, transform: true }) },
  ],
})
export class AppModule {}
