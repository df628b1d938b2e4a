import { getMetadataStorage, ValidationTypes, type ValidationArguments } from 'class-validator';
import type { ConstraintMetadata } from 'class-validator/types/metadata/ConstraintMetadata';
import type { ValidationMetadata } from 'class-validator/types/metadata/ValidationMetadata';

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
 * validation have no plan and always take validateSync.
 */
export function passesPlannedChecks(instance: object): boolean {
  const plan = planFor(instance.constructor);
  if (plan === null || !plan.isCurrent()) return false;
  const object = instance as Record<string, unknown>;
  const grouped = plan.grouped;
  for (const key in object) {
    // The test class-validator's whitelist uses, on its own grouping, so the same properties go.
    if (Object.prototype.hasOwnProperty.call(object, key) && (!grouped[key] || grouped[key].length === 0)) delete object[key];
  }
  const targetName = instance.constructor ? instance.constructor.name : undefined;
  for (const { metadata, constraints } of plan.checks) {
    const value = object[metadata.propertyName];
    const args: ValidationArguments = { targetName: targetName as string, property: metadata.propertyName, object, value, constraints: metadata.constraints };
    const each = metadata.each && (Array.isArray(value) || value instanceof Set || value instanceof Map);
    for (const constraint of constraints) {
      // Resolved per call, as class-validator does, so a container set with useContainer is honoured.
      const validator = constraint.instance as { validate(value: unknown, args: ValidationArguments): unknown };
      if (each) {
        for (const item of value instanceof Map ? value.values() : (value as Iterable<unknown>)) if (!validator.validate(item, args)) return false;
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
  /** False once a decorator was registered after the plan was made: then validateSync decides. */
  isCurrent(): boolean;
}

/** class-validator's registries; private fields, read as dto-validation reads class-transformer's. */
interface ValidatorStorage {
  validationMetadatas?: Map<Function | string, ValidationMetadata[]>;
  constraintMetadatas?: Map<Function, ConstraintMetadata[]>;
}

const plans = new WeakMap<Function, Plan | null>();

function planFor(dto: Function): Plan | null {
  let plan = plans.get(dto);
  if (plan === undefined) {
    plan = makePlan(dto);
    plans.set(dto, plan);
  }
  return plan;
}

/** The metadata validateSync's executor uses with our options: no schema, no groups, always and strictGroups off. */
export function validationMetadataOf(dto: Function): ValidationMetadata[] {
  return getMetadataStorage().getTargetValidationMetadatas(dto, undefined as unknown as string, false, false, undefined);
}

const PLANNED_TYPES: readonly string[] = [ValidationTypes.CUSTOM_VALIDATION, ValidationTypes.IS_DEFINED, ValidationTypes.WHITELIST];

function makePlan(dto: Function): Plan | null {
  const storage = getMetadataStorage();
  const { validationMetadatas, constraintMetadatas } = storage as unknown as ValidatorStorage;
  // If class-validator ever stores its metadata differently, every DTO takes validateSync.
  if (!(validationMetadatas instanceof Map) || !(constraintMetadatas instanceof Map)) return null;
  const metadatas = validationMetadataOf(dto);
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
    const all = storage.getTargetValidatorConstraints(metadata.constraintCls);
    sources.push(all);
    checks.push({ metadata, constraints: all.filter((constraint) => !constraint.async) });
  }
  const lengths = sources.map((list) => list.length);
  const validationCount = validationMetadatas.size;
  const constraintCount = constraintMetadatas.size;
  return {
    checks,
    grouped: storage.groupByPropertyName(metadatas),
    isCurrent: () => {
      if (validationMetadatas.size !== validationCount || constraintMetadatas.size !== constraintCount) return false;
      for (let i = 0; i < sources.length; i++) if (sources[i].length !== lengths[i]) return false;
      return true;
    },
  };
}
