import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { jobFromSchema, Orchestrator } from '../../lib';
import { ObjectDetectionInput, objectDetectionSchema } from './object-detection.schema';

/** The producer side: turns an HTTP request into a queued job and answers before it runs. */
@Controller('detections')
export class DetectionController {
  constructor(private readonly orchestrator: Orchestrator) {}

  /** 202 Accepted: the job is queued, not done — poll GET /jobs/:id for its result. */
  @Post()
  @HttpCode(202)
  async create(@Body() input: ObjectDetectionInput): Promise<{ id: string }> {
    const id = await this.orchestrator.publish(objectDetectionSchema.name, jobFromSchema(objectDetectionSchema, input));
    return { id };
  }
}
