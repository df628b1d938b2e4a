import { Exclude } from 'class-transformer';
import { IsInt, IsOptional, IsString, Min } from 'class-validator';
import { Job, JobInput, JobSchema, JobValidationError, LocalClient, Orchestrator, jobFromSchema } from '../../lib';

class DetectionInput extends JobInput {
  @IsString() image_path = '/default/path.jpg';
  @IsInt() @Min(0) threshold = 50;
  @IsOptional() @IsString() label?: string;
}

const schema = new JobSchema({ name: 'object_detection', input: DetectionInput });

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

describe('jobFromSchema', () => {
  afterEach(() => jest.useRealTimers());

  it('wraps a plain object in a Job named after the schema', () => {
    const job = jobFromSchema(schema, { image_path: '/path/to/image.jpg', threshold: 10 });
    expect(job).toBeInstanceOf(Job);
    expect(job.name).toBe('object_detection');
    expect(job.schemaName).toBe('object_detection');
    expect(job.payload.image_path).toBe('/path/to/image.jpg');
    expect(job.payload.threshold).toBe(10);
  });

  it('makes the payload an instance of the input DTO', () => {
    const job = jobFromSchema(schema, { image_path: '/a.jpg' });
    expect(job.payload).toBeInstanceOf(DetectionInput);
    expect(Object.getPrototypeOf(job.payload)).toBe(DetectionInput.prototype);
  });

  it('accepts a DTO instance and keeps its values', () => {
    const input = new DetectionInput();
    input.image_path = '/from/instance.jpg';
    input.label = 'cat';
    const job = jobFromSchema(schema, input);
    expect(job.payload).toBeInstanceOf(DetectionInput);
    expect(job.payload.image_path).toBe('/from/instance.jpg');
    expect(job.payload.label).toBe('cat');
    expect(job.payload.threshold).toBe(50);
  });

  it('fills missing fields from the DTO defaults', () => {
    const job = jobFromSchema(schema, { threshold: 3 });
    expect(job.payload.image_path).toBe('/default/path.jpg');
    expect(job.payload.threshold).toBe(3);
    expect(jobFromSchema(schema, {}).payload.threshold).toBe(50);
  });

  it('gives each job a distinct UUID v4', () => {
    const ids = Array.from({ length: 500 }, () => jobFromSchema(schema, {}).id);
    for (const id of ids) expect(id).toMatch(UUID_V4);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('stamps createdAt with the current time as ISO-8601 UTC ending in Z', () => {
    jest.useFakeTimers({ now: new Date('2024-05-06T07:08:09.010Z') });
    const job = jobFromSchema(schema, {});
    expect(job.createdAt).toMatch(ISO_UTC);
    expect(job.createdAt).toBe('2024-05-06T07:08:09.010Z');
  });

  it('starts at attempt 0 and priority 0', () => {
    const job = jobFromSchema(schema, {});
    expect(job.attempt).toBe(0);
    expect(job.priority).toBe(0);
  });

  it('does not share the payload object with the caller', () => {
    const input = { image_path: '/mine.jpg' };
    const job = jobFromSchema(schema, input);
    input.image_path = '/changed.jpg';
    expect(job.payload.image_path).toBe('/mine.jpg');
  });

  it('freezes the payload: a job is a value', () => {
    const job = jobFromSchema(schema, { image_path: '/a.jpg' });
    expect(Object.isFrozen(job.payload)).toBe(true);
    expect(() => {
      (job.payload as { threshold: number }).threshold = -1;
    }).toThrow(TypeError);
  });

  it('a job built by hand is still validated at publish (only jobFromSchema output skips it)', async () => {
    const orchestrator = new Orchestrator(new LocalClient());
    await orchestrator.register(schema);
    const forged = new Job(
      '00000000-0000-4000-8000-000000000009',
      schema.name,
      schema.name,
      { image_path: 7 } as never,
      new Date().toISOString(),
    );
    await expect(orchestrator.publish(schema.name, forged)).rejects.toBeInstanceOf(JobValidationError);
    const other = new JobSchema({ name: 'other', input: DetectionInput });
    await orchestrator.register(other);
    // Validated for another schema with the same DTO is fine; with another DTO it is validated again.
    expect(await orchestrator.publish('other', jobFromSchema(schema, { image_path: '/b.jpg' }))).toBeTruthy();
    expect(await orchestrator.countQueueMessages('other')).toBe(1);
    await orchestrator.close();
  });

  it('sends a DTO class-transformer converts in its plain form, from jobFromSchema and from a raw input', async () => {
    class WithSecret extends JobInput {
      @IsString() name = '';
      @IsString() @Exclude({ toPlainOnly: true }) secret = '';
    }
    const secretive = new JobSchema({ name: 'secretive', input: WithSecret });
    const orchestrator = new Orchestrator(new LocalClient());
    await orchestrator.register(secretive);
    const ids = [
      await orchestrator.publish('secretive', jobFromSchema(secretive, { name: 'a', secret: 's' })),
      await orchestrator.publish('secretive', { name: 'b', secret: 's' }),
    ];
    const payloads = await Promise.all(ids.map(async (id) => (await orchestrator.getJob(id))?.payload));
    expect(payloads).toEqual([{ name: 'a' }, { name: 'b' }]);
    await orchestrator.close();
  });
});
