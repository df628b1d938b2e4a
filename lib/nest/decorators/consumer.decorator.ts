import { SetMetadata } from '@nestjs/common';
import type { ConsumerOptions } from '../../consumer/consumer-options';
import { CONSUMER_METADATA } from '../jobs.constants';

/** What `@Consumer(queue, options)` records on a class. */
export interface ConsumerMetadata {
  queue: string;
  options: ConsumerOptions;
}

/** The decorator half of `Consumer`: marks a Nest provider as the consumer of `queue`. */
export function consumerDecorator(queue: string, options: ConsumerOptions = {}): ClassDecorator {
  return SetMetadata<string, ConsumerMetadata>(CONSUMER_METADATA, { queue, options });
}
