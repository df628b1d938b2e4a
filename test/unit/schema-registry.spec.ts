import { randomUUID } from 'node:crypto';
import { IsInt, IsString } from 'class-validator';
import {
  Consumer,
  InvalidOptionError,
  Job,
  JobInput,
  JobOutput,
  JobSchema,
  LocalClient,
  Orchestrator,
  jobFromSchema,
  type JobSchemaDefinition,
} from '../../lib';
import { schemaNamed } from '../../lib/job/schema-registry';
import { thrownBy } from '../support/thrown';

class ImageInput extends JobInput {
  @IsString() image_path!: string;
}

class OtherInput extends JobInput {
  @IsInt() count = 0;
}

class Objects extends JobOutput {
  @IsInt() found = 0;
}

describe('the process-wide schema registry', () => {
  it('finds a schema by its name once it is made', () => {
    expect(schemaNamed('registry-found')).toBeUndefined();
    const schema = new JobSchema({ name: 'registry-found', input: ImageInput });
    expect(schemaNamed('registry-found')).toBe(schema);
  });

  it('accepts the same definition again (same DTO classes), keeping the first', () => {
    const first = new JobSchema({ name: 'registry-same', input: ImageInput, output: Objects });
    const again = new JobSchema({ name: 'registry-same', input: new ImageInput(), output: Objects });
    expect(again.input).toBe(ImageInput);
    expect(schemaNamed('registry-same')).toBe(first);
  });

  it.each<[string, Omit<JobSchemaDefinition<JobInput, JobOutput>, 'name'>]>([
    ['another input', { input: OtherInput, output: Objects }],
    ['no output', { input: ImageInput }],
  ])('refuses a second definition of a name with %s, saying what to do', (_label, dtos) => {
    const first = new JobSchema({ name: `registry-clash-${_label}`, input: ImageInput, output: Objects });
    const error = thrownBy(InvalidOptionError, () => new JobSchema({ name: `registry-clash-${_label}`, ...dtos }));
    expect(error.option).toBe('name');
    expect(error.message).toContain(`JobSchema "registry-clash-${_label}"`);
    expect(error.message).toContain('ImageInput');
    expect(error.message).toContain('reuse that JobSchema instance');
    expect(schemaNamed(`registry-clash-${_label}`)).toBe(first);
  });
});

describe('a consumer whose orchestrator registered no schema', () => {
  let orchestrator: Orchestrator;
  afterEach(() => orchestrator.close());

  class Recording extends Consumer<ImageInput> {
    readonly payloads: unknown[] = [];
    run(job: Job<ImageInput>) {
      this.payloads.push(job.payload);
    }
  }

  it('validates against the schema named like its queue, even when a job names another schema', async () => {
    orchestrator = new Orchestrator(new LocalClient());
    const queue = `registry-queue-${randomUUID()}`;
    new JobSchema({ name: queue, input: ImageInput });
    const loose = new JobSchema({ name: `${queue}-loose`, input: OtherInput });
    await orchestrator.declareQueue(queue);
    const consumer = new Recording(queue);
    consumer.connect(orchestrator);
    // A job made for another schema, published to this queue: the queue's schema still applies.
    const id = await orchestrator.publish(queue, jobFromSchema(loose, { count: 1 }));

    expect(await consumer.consume(1)).toBe(1);
    expect(consumer.payloads).toEqual([]);
    const dead = await orchestrator.deadLetters(queue);
    expect(dead.map((d) => [d.job.id, d.error.name])).toEqual([[id, 'JobValidationError']]);
    expect(dead[0].error.message).toContain('image_path');
  });

  it('passes the payload through unchanged when no schema of that name exists', async () => {
    orchestrator = new Orchestrator(new LocalClient());
    const queue = `registry-none-${randomUUID()}`;
    await orchestrator.declareQueue(queue);
    const consumer = new Recording(queue);
    consumer.connect(orchestrator);
    await orchestrator.publish(queue, new Job(randomUUID(), queue, 'nobody-defined-this', { anything: 1 }, new Date().toISOString()));

    expect(await consumer.consume(1)).toBe(1);
    expect(consumer.payloads).toEqual([{ anything: 1 }]);
  });
});
