import type { ConsumerOptions } from '../../consumer/consumer-options';
import { CONSUMER_METADATA } from '../jobs.constants';

/** What `@Consumer(queue, options)` records on a class. */
export interface ConsumerMetadata {
  queue: string;
  options: ConsumerOptions;
}

/**
 * The decorator half of `Consumer`: marks a Nest provider as the consumer of `queue`. It writes the
 * metadata itself (what Nest's SetMetadata does), so the core that exports `Consumer` needs no Nest.
 */
export function consumerDecorator(queue: string, options: ConsumerOptions = {}): ClassDecorator {
  return (target) => {
    Reflect.defineMetadata(CONSUMER_METADATA, { queue, options } satisfies ConsumerMetadata, target);
  };
}
