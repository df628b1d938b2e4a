import { Logger } from '@nestjs/common';
import { Consumer, Job, OnJobEvent, Run, type JobEventMap } from '../../lib';
import { DetectorService } from './detector.service';
import type { ObjectDetectionInput, ObjectDetectionOutput } from './object-detection.schema';

/**
 * Processes the `object_detection` queue, two jobs at a time. It is an ordinary Nest provider, so the
 * detector is injected; JobsModule finds it at start-up and runs `detect` for every job.
 */
@Consumer('object_detection', { concurrency: 2 })
export class ObjectDetectionConsumer {
  private readonly logger = new Logger(ObjectDetectionConsumer.name);

  constructor(private readonly detector: DetectorService) {}

  /** Its return value becomes the job's result (checked against ObjectDetectionOutput). */
  @Run()
  async detect(job: Job<ObjectDetectionInput>): Promise<ObjectDetectionOutput> {
    return { objects: this.detector.detect(job.payload.image_path) };
  }

  /** The result, once it passed the output DTO and the job is marked completed. */
  @OnJobEvent('completed')
  onCompleted(event: JobEventMap['completed']): void {
    this.logger.log(`job ${event.job.id} completed: ${JSON.stringify(event.result)}`);
  }

  /** A job that failed for good lands in the dead-letter queue; say so where someone will see it. */
  @OnJobEvent('dead')
  onDead(event: JobEventMap['dead']): void {
    this.logger.error(`job ${event.job.id} is dead: ${event.error.message}`);
  }
}
