import type { JobEventType } from '../../orchestrator/job-events';
import { ON_JOB_EVENT_METADATA } from '../jobs.constants';

/**
 * In a `@Consumer` class, receives that queue's lifecycle events of the given type. Stack it to hear
 * several types with one method. An unknown type fails bootstrap, naming the class and method.
 */
export const OnJobEvent =
  (type: JobEventType): MethodDecorator =>
  (_target, _key, descriptor) => {
    const method = descriptor.value as object;
    const earlier = (Reflect.getMetadata(ON_JOB_EVENT_METADATA, method) as JobEventType[] | undefined) ?? [];
    // Decorators apply bottom-up; putting this one first keeps the list in source order.
    Reflect.defineMetadata(ON_JOB_EVENT_METADATA, [type, ...earlier], method);
    return descriptor;
  };
