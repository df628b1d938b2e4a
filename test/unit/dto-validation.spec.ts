import { Type } from 'class-transformer';
import { Allow, IsArray, IsInt, IsString, Min, ValidateNested } from 'class-validator';
import { JobInput, JobOutput, JobSchema, JobValidationError, jobFromSchema } from '../../lib';
import * as transformerInternals from '../../lib/job/class-transformer-internals';
import { toValidDto } from '../../lib/job/dto-validation';
import { thrownBy } from '../support/thrown';

class Box {
  @IsInt() @Min(1) width = 1;
  @IsInt() @Min(1) height = 1;
}

class Input extends JobInput {
  @IsString() image_path = '/default.jpg';
  @IsInt() @Min(1) count = 1;
}

class NestedInput extends JobInput {
  @IsString() image_path = '/default.jpg';
  @ValidateNested() @Type(() => Box) box: Box = new Box();
  @ValidateNested({ each: true }) @Type(() => Box) boxes: Box[] = [];
  @Allow() meta: Record<string, unknown> = {};
}

class Output extends JobOutput {
  @IsArray() objects: unknown[] = [];
}

const schema = new JobSchema({ name: 'object_detection', input: Input });
const nestedSchema = new JobSchema({ name: 'boxes', input: NestedInput });

/** Runs `fn`, which must throw a JobValidationError, and returns that error. */
const validationErrorFrom = (fn: () => unknown): JobValidationError => thrownBy(JobValidationError, fn);

function pathsOf(error: JobValidationError): string[] {
  return error.violations.map((v) => v.path).sort();
}

describe('validation of job payloads', () => {
  afterEach(() => {
    // Belt and braces: a failing pollution test must not leak into the others.
    delete (Object.prototype as Record<string, unknown>).polluted;
  });

  describe('violations', () => {
    it('names every failing property and the constraint it broke', () => {
      const error = validationErrorFrom(() => jobFromSchema(schema, { image_path: 5, count: 0 } as never));
      expect(error.schemaName).toBe('object_detection');
      expect(error.side).toBe('input');
      expect(pathsOf(error)).toEqual(['count', 'image_path']);
      expect(Object.keys(error.violations.find((v) => v.path === 'image_path')!.constraints)).toContain('isString');
      expect(Object.keys(error.violations.find((v) => v.path === 'count')!.constraints)).toContain('min');
      expect(error.message).toContain('object_detection');
      expect(error.message).toContain('image_path');
      expect(error.message).toContain('[isString]');
      expect(error.message).toContain('count');
      expect(error.message).toContain('[min]');
    });

    it('validates a DTO instance too, not just plain objects', () => {
      const input = new Input();
      (input as unknown as Record<string, unknown>).count = -3;
      const error = validationErrorFrom(() => jobFromSchema(schema, input));
      expect(pathsOf(error)).toEqual(['count']);
    });

    it('gives nested DTO violations a dotted path', () => {
      const error = validationErrorFrom(() => jobFromSchema(nestedSchema, { box: { width: 0, height: 'tall' } } as never));
      expect(pathsOf(error)).toEqual(['box.height', 'box.width']);
      expect(Object.keys(error.violations.find((v) => v.path === 'box.width')!.constraints)).toContain('min');
      expect(Object.keys(error.violations.find((v) => v.path === 'box.height')!.constraints)).toContain('isInt');
      expect(error.message).toContain('box.width');
      expect(error.message).toContain('box.height');
    });

    it('puts the index of an array element in the path', () => {
      const error = validationErrorFrom(() =>
        jobFromSchema(nestedSchema, {
          boxes: [
            { width: 2, height: 2 },
            { width: 0, height: 2 },
          ],
        } as never),
      );
      expect(pathsOf(error)).toEqual(['boxes.1.width']);
    });

    it('turns nested plain objects into their DTO classes', () => {
      const job = jobFromSchema(nestedSchema, { box: { width: 3, height: 4 }, boxes: [{ width: 5, height: 6 }] });
      expect(job.payload.box).toBeInstanceOf(Box);
      expect(job.payload.box.width).toBe(3);
      expect(job.payload.boxes[0]).toBeInstanceOf(Box);
    });
  });

  describe('input that is not an object', () => {
    it.each([
      ['null', null, 'got null'],
      ['a string', 'image.jpg', 'got string'],
      ['a number', 42, 'got number'],
      ['an array', [{ image_path: 'x' }], 'got an array'],
    ])('rejects %s with a clear error', (_label, input, got) => {
      const error = validationErrorFrom(() => jobFromSchema(schema, input as never));
      expect(error.side).toBe('input');
      expect(error.message).toContain('must be an object');
      expect(error.message).toContain(got);
    });
  });

  describe('unknown properties', () => {
    it('strips them at the top level', () => {
      const job = jobFromSchema(schema, { image_path: 'x', extra: 'dropped' } as never);
      expect(Object.keys(job.payload)).not.toContain('extra');
      expect((job.payload as unknown as Record<string, unknown>).extra).toBeUndefined();
    });

    it('strips them inside nested DTOs', () => {
      const job = jobFromSchema(nestedSchema, { box: { width: 2, height: 2, depth: 9 } } as never);
      expect(Object.keys(job.payload.box)).not.toContain('depth');
    });
  });

  describe('prototype pollution', () => {
    it('ignores a top-level __proto__ key', () => {
      const input = JSON.parse('{"__proto__": {"polluted": true}, "image_path": "x"}');
      const job = jobFromSchema(schema, input);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(Object.getPrototypeOf(job.payload)).toBe(Input.prototype);
      expect((job.payload as unknown as Record<string, unknown>).polluted).toBeUndefined();
      expect(job.payload.image_path).toBe('x');
    });

    it('ignores top-level constructor and prototype keys', () => {
      const input = JSON.parse('{"constructor": {"prototype": {"polluted": true}}, "prototype": {"polluted": true}, "image_path": "x"}');
      const job = jobFromSchema(schema, input);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect((Input.prototype as unknown as Record<string, unknown>).polluted).toBeUndefined();
      expect(Object.getPrototypeOf(job.payload)).toBe(Input.prototype);
      expect(job.payload.constructor).toBe(Input);
    });

    it('ignores __proto__, constructor and prototype nested inside a DTO', () => {
      const input = JSON.parse(
        '{"box": {"width": 2, "height": 2, "__proto__": {"polluted": true}, "constructor": {"prototype": {"polluted": true}}, "prototype": {"polluted": true}}}',
      );
      const job = jobFromSchema(nestedSchema, input);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(Object.getPrototypeOf(job.payload.box)).toBe(Box.prototype);
      expect((Box.prototype as unknown as Record<string, unknown>).polluted).toBeUndefined();
      expect((job.payload.box as unknown as Record<string, unknown>).polluted).toBeUndefined();
      expect(job.payload.box.width).toBe(2);
    });

    it('ignores them inside arrays of DTOs', () => {
      const input = JSON.parse(
        '{"boxes": [{"width": 2, "height": 2, "__proto__": {"polluted": true}, "constructor": {"prototype": {"polluted": true}}}]}',
      );
      const job = jobFromSchema(nestedSchema, input);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(Object.getPrototypeOf(job.payload.boxes[0])).toBe(Box.prototype);
      expect((Box.prototype as unknown as Record<string, unknown>).polluted).toBeUndefined();
    });

    it('ignores them inside an untyped nested object', () => {
      const input = JSON.parse('{"meta": {"a": 1, "__proto__": {"polluted": true}, "constructor": {"prototype": {"polluted": true}}}}');
      const job = jobFromSchema(nestedSchema, input);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(job.payload.meta.a).toBe(1);
      expect(job.payload.meta.polluted).toBeUndefined();
      expect(Object.getPrototypeOf(job.payload.meta)).toBe(Object.prototype);
    });
  });

  describe('output side', () => {
    it('reports side "output" for an invalid result', () => {
      const error = validationErrorFrom(() => toValidDto(Output, { objects: 'none' }, 'object_detection', 'output'));
      expect(error.side).toBe('output');
      expect(error.schemaName).toBe('object_detection');
      expect(pathsOf(error)).toEqual(['objects']);
      expect(error.message).toContain('Invalid output');
      expect(error.message).toContain('objects');
    });

    it('reports side "output" for a result that is not an object', () => {
      const error = validationErrorFrom(() => toValidDto(Output, 'done', 'object_detection', 'output'));
      expect(error.side).toBe('output');
      expect(error.message).toContain('output must be an object');
    });

    it('returns a DTO instance for a valid result', () => {
      const output = toValidDto(Output, { objects: [1, 2] }, 'object_detection', 'output');
      expect(output).toBeInstanceOf(Output);
      expect(output.objects).toEqual([1, 2]);
    });
  });

  describe('a DTO without any class-validator decorator', () => {
    class EmptyOutput extends JobOutput {}
    class Undecorated extends JobInput {
      label = 'default';
    }

    it('accepts no data as an empty DTO (an output with nothing to return)', () => {
      expect(toValidDto(EmptyOutput, {}, 'empty', 'output')).toBeInstanceOf(EmptyOutput);
      expect(Object.keys(toValidDto(Undecorated, {}, 'bare', 'input'))).toEqual([]);
    });

    it('refuses data it would drop, naming the keys and what to do', () => {
      const error = thrownBy(JobValidationError, () => toValidDto(Undecorated, { label: 'x', size: 2 }, 'bare', 'input'));
      expect(error.side).toBe('input');
      expect(error.violations).toEqual([
        { path: '', constraints: { undeclaredProperties: expect.stringContaining('label, size would be dropped') } },
      ]);
      expect(error.message).toContain('Undecorated declares no validated property');
      expect(error.message).toContain('@Allow()');
    });
  });

  describe("class-transformer's storage, read through class-transformer-internals.ts only", () => {
    it('is reachable in the installed class-transformer (this fails the day its storage moves)', () => {
      class DerivedNested extends NestedInput {}
      expect(transformerInternals.hasTransformerDecorators(Input)).toBe(false);
      expect(transformerInternals.hasTransformerDecorators(NestedInput)).toBe(true);
      expect(transformerInternals.hasTransformerDecorators(DerivedNested)).toBe(true);
    });

    it('out of reach (the storage file moved), it answers "unknown" instead of failing to load', () => {
      jest.isolateModules(() => {
        jest.doMock('class-transformer/cjs/storage', () => {
          throw Object.assign(new Error("Cannot find module 'class-transformer/cjs/storage'"), { code: 'MODULE_NOT_FOUND' });
        });
        const isolated = require('../../lib/job/class-transformer-internals') as typeof transformerInternals;
        expect(isolated.hasTransformerDecorators(Input)).toBeUndefined();
        expect(isolated.hasTransformerDecorators(NestedInput)).toBeUndefined();
      });
      jest.dontMock('class-transformer/cjs/storage');
    });

    it("out of reach, every DTO takes class-transformer's public plainToInstance: nested DTOs are still their classes", () => {
      // Classes of their own: whether a DTO is plain is decided once per class.
      class Part {
        @IsInt() @Min(1) size = 1;
      }
      class Whole extends JobInput {
        @IsString() label = 'x';
        @ValidateNested() @Type(() => Part) part: Part = new Part();
      }
      class Flat extends JobInput {
        @IsString() label = 'x';
      }
      const unknown = jest.spyOn(transformerInternals, 'hasTransformerDecorators').mockReturnValue(undefined);
      try {
        const whole = toValidDto(Whole, { label: 'a', part: { size: 2, extra: 1 } }, 'whole', 'input');
        expect(whole.part).toBeInstanceOf(Part);
        expect({ ...whole.part }).toEqual({ size: 2 });
        expect(pathsOf(validationErrorFrom(() => toValidDto(Whole, { part: { size: 0 } }, 'whole', 'input')))).toEqual(['part.size']);
        expect({ ...toValidDto(Flat, { label: 'b', extra: 1 }, 'flat', 'input') }).toEqual({ label: 'b' });
        expect(unknown).toHaveBeenCalledWith(Whole);
      } finally {
        unknown.mockRestore();
      }
    });
  });
});
