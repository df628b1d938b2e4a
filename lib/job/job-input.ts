/**
 * Base class for a job's input DTO. Decorate each property with class-validator; properties without a
 * decorator are stripped (use `@Allow()` for one you do not want to constrain).
 */
export abstract class JobInput {}

/** Base class for a job's output DTO: what a consumer's run returns, validated the same way. */
export abstract class JobOutput {}

/** A DTO class, concrete or abstract. */

export type DtoClass<T = object> = new (...args: any[]) => T;
