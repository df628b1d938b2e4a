import { RUN_METADATA } from '../jobs.constants';

/**
 * Marks the method of a `@Consumer` class that processes each job: `(job, context) => result`.
 * Written without Nest's SetMetadata so a class using it loads where Nest is not installed.
 */
export const Run = (): MethodDecorator => (_target, _key, descriptor) => {
  Reflect.defineMetadata(RUN_METADATA, true, descriptor.value as object);
  return descriptor;
};
