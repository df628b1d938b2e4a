import { IsArray, IsString } from 'class-validator';
import { Orchestrator, LocalClient, Consumer, Job, JobSchema, JobInput, JobOutput, jobFromSchema } from '../lib';

class ObjectDetectionInput extends JobInput { @IsString() image_path = '/default/path.jpg'; }
class ObjectDetectionOutput extends JobOutput { @IsArray() objects: unknown[] = []; }

it('runs the README example', async () => {
  const orchestrator = new Orchestrator(new LocalClient());
  const schema = new JobSchema({ name: 'object_detection', input: ObjectDetectionInput, output: ObjectDetectionOutput });
  await orchestrator.register(schema);
  const seen: string[] = [];
  class ObjectDetection extends Consumer<ObjectDetectionInput, ObjectDetectionOutput> {
    async run(job: Job<ObjectDetectionInput>) { seen.push(job.payload.image_path); return { objects: [] }; }
  }
  const consumer = new ObjectDetection('object_detection');
  consumer.connect(orchestrator);
  const job = jobFromSchema(schema, { image_path: '/path/to/image.jpg' });
  const id = await orchestrator.publish('object_detection', job);
  expect(await consumer.consume(1)).toBe(1);
  expect(seen).toEqual(['/path/to/image.jpg']);
  expect((await orchestrator.getJob(id))?.status).toBe('completed');
  await orchestrator.close();
});
