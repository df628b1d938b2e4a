// `@Consumer` is the core's `Consumer` called as a decorator; its metadata lives with the consumer.
export { consumerDecorator, type ConsumerMetadata } from '../../consumer/consumer-metadata';
