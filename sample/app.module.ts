import { Module } from '@nestjs/common';
import { JobsModule } from '../lib';
import { createBackend } from './backend.factory';
import { DetectionController } from './detection/detection.controller';
import { DetectorService } from './detection/detector.service';
import { ObjectDetectionConsumer } from './detection/object-detection.consumer';
import { objectDetectionSchema } from './detection/object-detection.schema';
import { JobsController } from './jobs/jobs.controller';

/**
 * The whole app: JobsModule (global, so Orchestrator can be injected anywhere), one producer
 * (DetectionController), one consumer (ObjectDetectionConsumer) and a status endpoint (JobsController).
 * forRootAsync builds the backend when the app starts, not when this file is imported.
 */
@Module({
  imports: [
    JobsModule.forRootAsync({
      useFactory: () => ({ backend: createBackend(process.env), schemas: [objectDetectionSchema] }),
    }),
  ],
  controllers: [DetectionController, JobsController],
  providers: [DetectorService, ObjectDetectionConsumer],
})
export class AppModule {}
