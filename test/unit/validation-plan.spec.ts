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

class Conditional extends JobInput {
  @IsOptional() @IsString() label?: string;
  @ValidateIf((o: Conditional) => o.kind === 'a') @IsInt() size = 0;
  @Allow() kind = 'b';
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

function actual(dto: new () => object, data: object): { value: Record<string, unknown>; violations: string[] } {
  try {
    return { value: { ...toValidDto(dto, data, 'plan', 'input') }, violations: [] };
  } catch (error) {
    if (!(error instanceof JobValidationError)) throw error;
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

  it('has no plan for a DTO without any decorator: toValidDto refuses its data itself (undeclaredProperties)', () => {
    class Bare extends JobInput {}
    expect(passesPlannedChecks(new Bare())).toBe(false);
    expect(actual(Bare, { a: 1 }).violations).toEqual([':undeclaredProperties']);
  });
});
