import { ValidationTypes, type ValidationArguments } from 'class-validator';
import { classValidatorInternals, type ConstraintMetadata, type ValidationMetadata } from './class-validator-internals';

/**
 * class-validator's validateSync (with whitelist) sets up its whole machinery on every call: it filters
 * every registered metadata for the class, groups it, makes a ValidationError per property and several
 * arrays and closures per constraint — about ten times the cost of the constraints themselves, and most
 * of a job's garbage. For a DTO whose decorators are all plain constraints (IsInt, Min, IsString, Allow,
 * IsDefined, custom sync validators…), this runs the same class-validator constraints, with the same
 * arguments, from a plan made once per class, and strips exactly the properties whitelist would.
 *
 * It only ever answers "valid": on the first failing constraint the caller runs validateSync, which
 * reports every violation with class-validator's own messages. Nested, conditional and promise
 * validation have no plan and always take validateSync; so does every DTO when class-validator's
 * storage is out of reach (see class-validator-internals.ts).
 */
export function passesPlannedChecks(instance: object): boolean {
  const plan = planFor(instance.constructor);
  if (plan === null) return false;
  const object = instance as Record<string, unknown>;
  const grouped = plan.grouped;
  for (const key in object) {
    if (!Object.prototype.hasOwnProperty.call(object, key)) continue;
    // The test class-validator's whitelist uses, on its own grouping, so the same properties go.
    const group = grouped[key];
    if (!group || group.length === 0) delete object[key];
  }
  const targetName = plan.targetName;
  for (const { metadata, constraints } of plan.checks) {
    const value = object[metadata.propertyName];
    // class-validator 0.15's per-decorator condition, asked as its executor asks it: once, before the constraints.
    if (metadata.validateIf && !metadata.validateIf(object, value)) continue;
    const args: ValidationArguments = {
      targetName: targetName as string,
      property: metadata.propertyName,
      object,
      value,
      constraints: metadata.constraints,
    };
    const each = metadata.each && (Array.isArray(value) || value instanceof Set || value instanceof Map);
    for (const constraint of constraints) {
      // Resolved per call, as class-validator does, so a container set with useContainer is honoured.
      const validator = constraint.instance as { validate(value: unknown, args: ValidationArguments): unknown };
      if (each) {
        for (const item of value instanceof Map ? value.values() : (value as Iterable<unknown>))
          if (!validator.validate(item, args)) return false;
      } else if (!validator.validate(value, args)) {
        // A promise is truthy: validateSync ignores async results too.
        return false;
      }
    }
  }
  return true;
}

interface Check {
  metadata: ValidationMetadata;
  /** The sync constraints class-validator would run for it (it skips async ones in validateSync). */
  constraints: ConstraintMetadata[];
}

interface Plan {
  checks: Check[];
  /** class-validator's own grouping of the metadata by property, for the whitelist test. */
  grouped: Record<string, ValidationMetadata[]>;
  /** The class's name, which class-validator passes to every constraint: read once (a function's name is a getter). */
  targetName: string;
  /** False once a decorator was registered after the plan was made: then the plan is made again. */
  isCurrent(): boolean;
}

const plans = new WeakMap<Function, Plan | null>();
/** The class asked for last and its plan: a queue's jobs are all of one class, so most calls skip the WeakMap. */
let lastDto: Function | null = null;
let lastPlan: Plan | null | undefined;

/** The class's plan, made again when a decorator was registered since (anywhere: the registries are shared). */
function planFor(dto: Function): Plan | null {
  let plan = dto === lastDto ? lastPlan : plans.get(dto);
  if (plan === undefined || (plan !== null && !plan.isCurrent())) {
    plan = makePlan(dto);
    plans.set(dto, plan);
  }
  lastDto = dto;
  lastPlan = plan;
  return plan;
}

const PLANNED_TYPES: readonly string[] = [ValidationTypes.CUSTOM_VALIDATION, ValidationTypes.IS_DEFINED, ValidationTypes.WHITELIST];

function makePlan(dto: Function): Plan | null {
  const internals = classValidatorInternals();
  if (internals === null) return null;
  const { validationMetadatas, constraintMetadatas } = internals;
  const metadatas = internals.metadataOf(dto);
  // No metadata at all is forbidUnknownValues' error, which validateSync reports.
  if (metadatas.length === 0 || metadatas.some((metadata) => !PLANNED_TYPES.includes(metadata.type))) return null;

  // The arrays the metadata came from (the class's and its ancestors'), and those of its constraints:
  // class-validator only ever appends to them or adds map entries, so equal sizes mean nothing changed.
  const sources: unknown[][] = [];
  for (const [target, list] of validationMetadatas) {
    if (target === dto || (typeof target === 'function' && dto.prototype instanceof target)) sources.push(list);
  }
  const checks: Check[] = [];
  for (const metadata of metadatas) {
    if (metadata.type === ValidationTypes.WHITELIST) continue;
    const all = internals.constraintsOf(metadata.constraintCls);
    sources.push(all);
    checks.push({ metadata, constraints: all.filter((constraint) => !constraint.async) });
  }
  const lengths = sources.map((list) => list.length);
  const validationCount = validationMetadatas.size;
  const constraintCount = constraintMetadatas.size;
  return {
    checks,
    grouped: internals.groupByPropertyName(metadatas),
    targetName: dto.name,
    isCurrent: () => {
      if (validationMetadatas.size !== validationCount || constraintMetadatas.size !== constraintCount) return false;
      for (let i = 0; i < sources.length; i++) if (sources[i].length !== lengths[i]) return false;
      return true;
    },
  };
}
