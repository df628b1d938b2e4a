import type { ConsumerOptions } from './consumer-options';

/** The metadata key `@Consumer(queue, options)` writes; namespaced so it cannot collide with other modules'. */
export const CONSUMER_METADATA = 'mindtrace:jobs:consumer';

/** What `@Consumer(queue, options)` records on a class. */
export interface ConsumerMetadata {
  queue: string;
  options: ConsumerOptions;
}

/**
 * The decorator half of `Consumer`: marks a class (a Nest provider) as the consumer of `queue`. It writes
 * the metadata itself (what Nest's SetMetadata does), so the core that exports `Consumer` needs no Nest;
 * the Nest layer reads it back.
 */
export function consumerDecorator(queue: string, options: ConsumerOptions = {}): ClassDecorator {
  return (target) => {
    Reflect.defineMetadata(CONSUMER_METADATA, { queue, options } satisfies ConsumerMetadata, target);
  };
}

/** What `@Consumer(queue, options)` recorded on the class (or a decorated ancestor), if anything. */
export function consumerMetadataOf(target: Function): ConsumerMetadata | undefined {
  // reflect-metadata is loaded wherever decorators are; a plain script may not have it.
  if (typeof Reflect.getMetadata !== 'function') return undefined;
  return Reflect.getMetadata(CONSUMER_METADATA, target) as ConsumerMetadata | undefined;
}
