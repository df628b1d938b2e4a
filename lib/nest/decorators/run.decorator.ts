import { SetMetadata } from '@nestjs/common';
import { RUN_METADATA } from '../jobs.constants';

/** Marks the method of a `@Consumer` class that processes each job: `(job, context) => result`. */
export const Run = (): MethodDecorator => SetMetadata(RUN_METADATA, true);
