import { IsArray, IsString } from 'class-validator';
import { JobInput, JobOutput, JobSchema } from '../../lib';

/**
 * What a client posts and what the consumer receives as `job.payload`. The same class-validator rules
 * guard the HTTP body (ValidationPipe) and the queue (the schema), so a bad image path is refused at the door.
 */
export class ObjectDetectionInput extends JobInput {
  @IsString()
  image_path = '/default/path.jpg';
}

/** What the consumer returns; the schema checks it before the job is marked completed. */
export class ObjectDetectionOutput extends JobOutput {
  @IsArray()
  objects: unknown[] = [];
}

/** Names the `object_detection` queue and ties it to its input and output DTOs. */
export const objectDetectionSchema = new JobSchema({
  name: 'object_detection',
  input: ObjectDetectionInput,
  output: ObjectDetectionOutput,
});
