import { SetMetadata } from '@nestjs/common';
import type { JobEventType } from '../../orchestrator/job-events';
import { ON_JOB_EVENT_METADATA } from '../jobs.constants';

/** In a `@Consumer` class, receives that queue's lifecycle events of the given type. */
export const OnJobEvent = (type: JobEventType): MethodDecorator => SetMetadata(ON_JOB_EVENT_METADATA, type);
