import { IsArray, IsString } from 'class-validator';
import { InvalidOptionError, JobInput, JobOutput, JobSchema } from '../../lib';
import { thrownBy } from '../support/thrown';

class DetectionInput extends JobInput {
  @IsString() image_path = '/default.jpg';
}

class DetectionOutput extends JobOutput {
  @IsArray() objects: unknown[] = [];
}

/** Runs `fn`, which must throw an InvalidOptionError, and returns that error. */
const invalidOptionFrom = (fn: () => unknown): InvalidOptionError => thrownBy(InvalidOptionError, fn);

describe('JobSchema', () => {
  it('keeps the name and the DTO classes it is given', () => {
    const schema = new JobSchema({ name: 'object_detection', input: DetectionInput, output: DetectionOutput });
    expect(schema.name).toBe('object_detection');
    expect(schema.input).toBe(DetectionInput);
    expect(schema.output).toBe(DetectionOutput);
  });

  it('takes the class of a DTO instance', () => {
    const schema = new JobSchema({ name: 'object_detection', input: new DetectionInput(), output: new DetectionOutput() });
    expect(schema.input).toBe(DetectionInput);
    expect(schema.output).toBe(DetectionOutput);
  });

  it('leaves output undefined when none is given', () => {
    const schema = new JobSchema({ name: 'object_detection_input_only', input: DetectionInput });
    expect(schema.output).toBeUndefined();
  });

  it.each([
    ['an empty string', ''],
    ['a number', 42],
    ['undefined', undefined],
  ])('rejects %s as name, naming the option', (_label, name) => {
    const error = invalidOptionFrom(() => new JobSchema({ name: name as string, input: DetectionInput }));
    expect(error.option).toBe('name');
    expect(error.message).toContain('"name"');
    expect(error.message).toContain('JobSchema');
  });

  it('rejects a missing definition with an InvalidOptionError rather than a TypeError', () => {
    const error = invalidOptionFrom(() => new JobSchema(undefined as never));
    expect(error.option).toBe('name');
  });

  it.each([
    ['a plain object', {}],
    ['null', null],
    ['undefined', undefined],
    ['a string', 'DetectionInput'],
    ['a number', 7],
    ['an object without prototype', Object.create(null)],
    ['an arrow function (not constructible)', () => ({})],
  ])('rejects %s as input, naming the option and the schema', (_label, input) => {
    const error = invalidOptionFrom(() => new JobSchema({ name: 'object_detection', input: input as never }));
    expect(error.option).toBe('input');
    expect(error.message).toContain('"input"');
    expect(error.message).toContain('object_detection');
  });

  it.each([
    ['a plain object', {}],
    ['null', null],
    ['a string', 'DetectionOutput'],
  ])('rejects %s as output, naming the option', (_label, output) => {
    const error = invalidOptionFrom(() => new JobSchema({ name: 'object_detection', input: DetectionInput, output: output as never }));
    expect(error.option).toBe('output');
    expect(error.message).toContain('"output"');
  });
});
