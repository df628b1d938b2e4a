/**
 * The one place that reads class-transformer's metadata storage, for the fast path of DTOs it would
 * not change (dto-validation.ts). The storage singleton lives in a file the package does not export by
 * name (read as @nestjs/swagger reads it) and keeps each decorator kind in a private map (unchanged
 * 0.3 – 0.5). When either is not where this expects, it answers undefined, and every DTO goes through
 * the public plainToInstance / instanceToPlain. test/unit/dto-validation.spec.ts fails the day they move.
 */

/** A private map per decorator kind: class → property → metadata. */
type DecoratorMap = Map<Function, Map<unknown, unknown>>;

interface TransformerStorage {
  _typeMetadatas?: unknown;
  _transformMetadatas?: unknown;
  _exposeMetadatas?: unknown;
  _excludeMetadatas?: unknown;
}

/** The maps of @Type, @Transform, @Expose and @Exclude; null when out of reach, undefined until looked up. */
let decoratorMaps: readonly DecoratorMap[] | null | undefined;

function findDecoratorMaps(): readonly DecoratorMap[] | null {
  let storage: TransformerStorage | undefined;
  try {
    // A literal path, so that bundlers see the dependency.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    storage = (require('class-transformer/cjs/storage') as { defaultMetadataStorage?: TransformerStorage }).defaultMetadataStorage;
  } catch {
    return null;
  }
  const maps = [storage?._typeMetadatas, storage?._transformMetadatas, storage?._exposeMetadatas, storage?._excludeMetadatas];
  return maps.every((map) => map instanceof Map) ? (maps as DecoratorMap[]) : null;
}

/**
 * Whether a class-transformer decorator (@Type, @Transform, @Expose, @Exclude) is on `dto` or one of its
 * ancestors; undefined when class-transformer's storage is out of reach.
 */
export function hasTransformerDecorators(dto: Function): boolean | undefined {
  if (decoratorMaps === undefined) decoratorMaps = findDecoratorMaps();
  const maps = decoratorMaps;
  if (maps === null) return undefined;
  for (
    let cls: Function | null = dto;
    cls && cls !== Object && cls !== Function.prototype;
    cls = Object.getPrototypeOf(cls) as Function | null
  ) {
    const target = cls;
    if (maps.some((map) => (map.get(target)?.size ?? 0) > 0)) return true;
  }
  return false;
}
