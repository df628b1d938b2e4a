import {
  Allow,
  IsDefined,
  IsInt,
  IsOptional,
  IsString,
  Min,
  Validate,
  ValidateIf,
  ValidatorConstraint,
  validateSync,
  type ValidationArguments,
  type ValidationError,
  type ValidatorConstraintInterface,
} from 'class-validator';
import { JobInput, JobValidationError } from '../../lib';
import { classValidatorInternals } from '../../lib/job/class-validator-internals';
import { toValidDto } from '../../lib/job/dto-validation';
import { passesPlannedChecks } from '../../lib/job/validation-plan';

@ValidatorConstraint({ name: 'lessThanField' })
class LessThanField implements ValidatorConstraintInterface {
  validate(value: unknown, args: ValidationArguments): boolean {
    const [other] = args.constraints as [string];
    return typeof value === 'number' && value < ((args.object as Record<string, number>)[other] ?? -Infinity);
  }
}

@ValidatorConstraint({ name: 'neverSync', async: true })
class AsyncNever implements ValidatorConstraintInterface {
  validate(): Promise<boolean> {
    return Promise.resolve(false);
  }
}

class Flat extends JobInput {
  @IsString() name = 'x';
  @IsInt() @Min(0) count = 0;
  @IsString({ each: true }) tags: string[] = [];
  @Allow() meta: unknown = null;
  @IsDefined() required!: unknown;
  @Validate(LessThanField, ['count']) low = -1;
  @Validate(AsyncNever) ignoredInSync = 0;
}

/** Records the arguments each call gets, so the plan's calls can be compared with validateSync's. */
const seenArgs: Omit<ValidationArguments, 'object'>[] = [];
@ValidatorConstraint({ name: 'recordsArgs' })
class RecordsArgs implements ValidatorConstraintInterface {
  validate(value: unknown, args: ValidationArguments): boolean {
    seenArgs.push({ targetName: args.targetName, property: args.property, value, constraints: args.constraints });
    return true;
  }
}

class Recorded extends JobInput {
  @Validate(RecordsArgs, ['first']) a = 1;
  @Validate(RecordsArgs, ['second']) b = 'x';
}

class RecordedChild extends Recorded {}

class Conditional extends JobInput {
  @IsOptional() @IsString() label?: string;
  @ValidateIf((o: Conditional) => o.kind === 'a') @IsInt() size = 0;
  @Allow() kind = 'b';
}

/** toValidDto's answer equals class-validator's: the same violations, and the same value when valid. */
function expectAgreement(got: ReturnType<typeof actual>, expected: ReturnType<typeof reference>): void {
  expect([...got.violations].sort()).toEqual([...expected.violations].sort());
  if (expected.violations.length === 0) expect(got.value).toEqual(expected.value);
}

/** What class-validator alone says about `data`: the reference every answer must equal. */
function reference(dto: new () => object, data: object): { value: Record<string, unknown>; violations: string[] } {
  const instance = Object.assign(new dto(), JSON.parse(JSON.stringify(data)));
  const errors = validateSync(instance, { whitelist: true, forbidUnknownValues: true });
  return { value: { ...instance }, violations: constraintsOf(errors) };
}

function constraintsOf(errors: ValidationError[], parent = ''): string[] {
  return errors.flatMap((error) => {
    const path = parent ? `${parent}.${error.property}` : error.property;
    return [...Object.keys(error.constraints ?? {}).map((c) => `${path}:${c}`), ...constraintsOf(error.children ?? [], path)];
  });
}

/** What toValidDto answers; `modules` are the library's modules to use (those of an isolated registry in one test). */
function actual(
  dto: new () => object,
  data: object,
  modules: { toValidDto: typeof toValidDto; JobValidationError: typeof JobValidationError } = { toValidDto, JobValidationError },
): { value: Record<string, unknown>; violations: string[] } {
  try {
    return { value: { ...modules.toValidDto(dto, data, 'plan', 'input') }, violations: [] };
  } catch (error) {
    if (!(error instanceof modules.JobValidationError)) throw error;
    return { value: {}, violations: error.violations.flatMap((v) => Object.keys(v.constraints).map((c) => `${v.path}:${c}`)) };
  }
}

describe('planned validation (class-validator constraints without validateSync set-up)', () => {
  const flatCases: [string, object][] = [
    ['valid', { name: 'a', count: 3, tags: ['t'], required: 1, low: 2 }],
    ['valid, unknown properties stripped', { name: 'a', count: 3, required: true, extra: 1, nested: { a: 1 } }],
    ['names of Object.prototype methods as unknown properties', { required: 1, toString: 'x', hasOwnProperty: 'y', valueOf: 3 }],
    ['a failing constraint', { name: 5, count: -1, required: 1 }],
    ['a failing element of an each-array', { required: 1, tags: ['a', 7] }],
    ['IsDefined missing', { name: 'a' }],
    ['a custom constraint reading args.object and args.constraints', { required: 1, count: 1, low: 5 }],
    ['no properties at all', {}],
  ];

  it.each(flatCases)('agrees with validateSync: %s', (_label, data) => {
    const expected = reference(Flat, data);
    const got = actual(Flat, data);
    expect(got.violations.sort()).toEqual(expected.violations.sort());
    if (expected.violations.length === 0) expect(got.value).toEqual(expected.value);
  });

  it('proves a valid flat DTO valid without validateSync, stripping what whitelist strips', () => {
    const instance = Object.assign(new Flat(), { required: 1, extra: 'gone' });
    expect(passesPlannedChecks(instance)).toBe(true);
    expect(Object.keys(instance)).not.toContain('extra');
  });

  it('passes each constraint the arguments validateSync passes (the class name of a subclass too)', () => {
    for (const dto of [Recorded, RecordedChild]) {
      seenArgs.length = 0;
      const instance = Object.assign(new dto(), { a: 2, b: 'y' });
      expect(validateSync(instance, { whitelist: true, forbidUnknownValues: true })).toEqual([]);
      const expected = [...seenArgs];
      seenArgs.length = 0;
      expect(passesPlannedChecks(Object.assign(new dto(), { a: 2, b: 'y' }))).toBe(true);
      expect(seenArgs).toEqual(expected);
      expect(seenArgs.map((args) => args.targetName)).toEqual([dto.name, dto.name]);
    }
  });

  it('never answers for DTOs with conditional or nested validation: validateSync decides', () => {
    const instance = Object.assign(new Conditional(), { kind: 'a', size: 'big' });
    expect(passesPlannedChecks(instance)).toBe(false);
    expect(actual(Conditional, { kind: 'a', size: 'big' }).violations).toEqual(['size:isInt']);
    expect(actual(Conditional, { kind: 'b', size: 'big' }).violations).toEqual([]);
  });

  it('honours a decorator registered after the plan was made', () => {
    class Late extends JobInput {
      @IsString() name = 'x';
    }
    expect(actual(Late, { name: 'a', later: 'kept?' }).value).toEqual({ name: 'a' });
    IsInt()(Late.prototype, 'later');
    expect(actual(Late, { name: 'a', later: 'no' }).violations).toEqual(['later:isInt']);
    expect(actual(Late, { name: 'a', later: 2 }).value).toEqual({ name: 'a', later: 2 });
  });

  it('makes the plan again when a decorator was registered since, anywhere: the fast path comes back', () => {
    class Early extends JobInput {
      @IsString() name = 'x';
    }
    expect(passesPlannedChecks(new Early())).toBe(true);
    class DefinedLater {
      @IsInt() size = 0;
    }
    expect(new DefinedLater().size).toBe(0);
    expect(passesPlannedChecks(new Early())).toBe(true);
    expect(passesPlannedChecks(Object.assign(new Early(), { name: 5 }))).toBe(false);
  });

  it('has no plan for a DTO without any decorator: toValidDto refuses its data itself (undeclaredProperties)', () => {
    class Bare extends JobInput {}
    expect(passesPlannedChecks(new Bare())).toBe(false);
    expect(actual(Bare, { a: 1 }).violations).toEqual([':undeclaredProperties']);
  });

  it("plans class-validator 0.15's validateIf option, asked once per decorator before its constraints as validateSync asks it", () => {
    class Sized extends JobInput {
      @Allow() kind = 'b';
      @IsInt({ validateIf: (object: Sized) => object.kind === 'a' }) size: unknown = 0;
    }
    expect(passesPlannedChecks(Object.assign(new Sized(), { kind: 'b', size: 'big' }))).toBe(true);
    expect(passesPlannedChecks(Object.assign(new Sized(), { kind: 'a', size: 'big' }))).toBe(false);
    for (const data of [
      { kind: 'b', size: 'big' },
      { kind: 'a', size: 'big' },
      { kind: 'a', size: 3 },
    ]) {
      expectAgreement(actual(Sized, data), reference(Sized, data));
    }
  });
});

describe("class-validator's storage, read by the fast path through class-validator-internals.ts only", () => {
  it('is reachable in the installed class-validator (this fails the day its private registries move)', () => {
    const internals = classValidatorInternals();
    expect(internals).not.toBeNull();
    expect(internals!.validationMetadatas.get(Flat)?.length).toBeGreaterThan(0);
    expect(internals!.constraintMetadatas.size).toBeGreaterThan(0);
    expect(new Set(internals!.metadataOf(Flat).map((metadata) => metadata.propertyName))).toEqual(
      new Set(['name', 'count', 'tags', 'meta', 'required', 'low', 'ignoredInSync']),
    );
    expect(passesPlannedChecks(Object.assign(new Flat(), { required: 1 }))).toBe(true);
  });

  it('out of reach (a class-validator with other private fields), every DTO is validated by validateSync, with the same answers', () => {
    // A class-validator whose storage still has its public methods but not the private registries.
    jest.isolateModules(() => {
      jest.doMock('class-validator', () => {
        const real = jest.requireActual<typeof import('class-validator')>('class-validator');
        const storage = real.getMetadataStorage();
        const publicOnly = {
          getTargetValidationMetadatas: storage.getTargetValidationMetadatas.bind(storage),
          getTargetValidatorConstraints: storage.getTargetValidatorConstraints.bind(storage),
          groupByPropertyName: storage.groupByPropertyName.bind(storage),
        };
        return { ...real, getMetadataStorage: () => publicOnly };
      });
      const isolated = {
        internals: require('../../lib/job/class-validator-internals') as typeof import('../../lib/job/class-validator-internals'),
        plan: require('../../lib/job/validation-plan') as typeof import('../../lib/job/validation-plan'),
        toValidDto: (require('../../lib/job/dto-validation') as typeof import('../../lib/job/dto-validation')).toValidDto,
        JobValidationError: (require('../../lib/errors') as typeof import('../../lib/errors')).JobValidationError,
      };
      expect(isolated.internals.classValidatorInternals()).toBeNull();
      expect(isolated.plan.passesPlannedChecks(Object.assign(new Flat(), { required: 1 }))).toBe(false);
      for (const data of [
        { name: 'a', count: 3, tags: ['t'], required: 1, low: 2, extra: 1 },
        { name: 5, count: -1, required: 1 },
        { name: 'a' },
      ]) {
        expectAgreement(actual(Flat, data, isolated), reference(Flat, data));
      }
    });
    jest.dontMock('class-validator');
  });
});
