import { Injectable, type Type } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { ConsumerMetadata } from './decorators/consumer.decorator';
import type { ScheduleMetadata } from './decorators/schedule.decorator';
import { CONSUMER_METADATA, ON_JOB_EVENT_METADATA, RUN_METADATA, SCHEDULE_METADATA } from './jobs.constants';

/** Reads what the @Consumer, @Schedule, @Run and @OnJobEvent decorators recorded. */
@Injectable()
export class ConsumerMetadataAccessor {
  constructor(private readonly reflector: Reflector) {}

  consumerOf(target: Type | Function): ConsumerMetadata | undefined {
    return this.reflector.get<ConsumerMetadata | undefined>(CONSUMER_METADATA, target);
  }

  /** The class's @Schedule decorators, in source order; unchecked (see resolveDecoratedSchedule). */
  schedulesOf(target: Type | Function): readonly ScheduleMetadata[] {
    return this.reflector.get<ScheduleMetadata[] | undefined>(SCHEDULE_METADATA, target) ?? [];
  }

  isRun(method: Function): boolean {
    return this.reflector.get<boolean | undefined>(RUN_METADATA, method) === true;
  }

  /** The event types a method's @OnJobEvent decorators name, in source order; unchecked strings (a cast can pass anything). */
  jobEventsOf(method: Function): readonly string[] {
    return this.reflector.get<string[] | undefined>(ON_JOB_EVENT_METADATA, method) ?? [];
  }
}
