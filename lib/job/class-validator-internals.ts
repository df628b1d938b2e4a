import { getMetadataStorage, type MetadataStorage } from 'class-validator';

/**
 * The one place that reads class-validator's metadata storage, for the validation fast path
 * (validation-plan.ts). Its registries are private fields and its lookups undocumented (unchanged
 * 0.12 – 0.15); when they are not what this expects it answers null, and every DTO is validated by
 * the public validateSync. test/unit/validation-plan.spec.ts fails the day they move.
 */

/** One decorator's registration, as the storage hands it out (the type is not exported by name). */
export type ValidationMetadata = ReturnType<MetadataStorage['getTargetValidationMetadatas']>[number];
/** One validator class behind a decorator (a custom @ValidatorConstraint or a built-in one). */
export type ConstraintMetadata = ReturnType<MetadataStorage['getTargetValidatorConstraints']>[number];

export interface ClassValidatorInternals {
  /** The metadata validateSync's executor uses with our options: no schema, no groups, always and strictGroups off. */
  metadataOf(dto: Function): ValidationMetadata[];
  /** Every constraint class-validator would run for a decorator, async ones included. */
  constraintsOf(constraintCls: Function): ConstraintMetadata[];
  /** class-validator's own grouping by property name, which its whitelist tests (a plain object: `toString` is "present"). */
  groupByPropertyName(metadata: ValidationMetadata[]): Record<string, ValidationMetadata[]>;
  /** The registries themselves, which class-validator only appends to: their sizes tell whether a decorator was added. */
  validationMetadatas: Map<Function | string, ValidationMetadata[]>;
  constraintMetadatas: Map<Function, ConstraintMetadata[]>;
}

interface StorageShape {
  validationMetadatas?: unknown;
  constraintMetadatas?: unknown;
  getTargetValidationMetadatas?: unknown;
  getTargetValidatorConstraints?: unknown;
  groupByPropertyName?: unknown;
}

/** class-validator's storage seen through the parts the fast path reads, or null if its layout changed. */
export function classValidatorInternals(): ClassValidatorInternals | null {
  const storage = getMetadataStorage();
  const shape = storage as unknown as StorageShape;
  if (
    !(shape.validationMetadatas instanceof Map) ||
    !(shape.constraintMetadatas instanceof Map) ||
    typeof shape.getTargetValidationMetadatas !== 'function' ||
    typeof shape.getTargetValidatorConstraints !== 'function' ||
    typeof shape.groupByPropertyName !== 'function'
  ) {
    return null;
  }
  return {
    metadataOf: (dto) => storage.getTargetValidationMetadatas(dto, undefined as unknown as string, false, false, undefined),
    constraintsOf: (constraintCls) => storage.getTargetValidatorConstraints(constraintCls),
    groupByPropertyName: (metadata) => storage.groupByPropertyName(metadata),
    validationMetadatas: shape.validationMetadatas as ClassValidatorInternals['validationMetadatas'],
    constraintMetadatas: shape.constraintMetadatas as ClassValidatorInternals['constraintMetadatas'],
  };
}
