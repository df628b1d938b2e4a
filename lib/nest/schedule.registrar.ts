import { Inject, Injectable, Logger } from '@nestjs/common';
import { Orchestrator } from '../orchestrator/orchestrator';
import type { ResolvedJobsModuleOptions } from './interfaces';
import { JOBS_RESOLVED_OPTIONS } from './jobs.constants';
import { JobsMessages } from './jobs.messages';
import { refuseTwice, resolveScheduleRegistrations, type DeclaredSchedule } from './schedule-registration.resolver';

/**
 * Upserts the app's schedules at bootstrap: JobsModule's `schedules` and the `@Schedule`s the explorer
 * found on consumers. `orchestrator.schedule` is idempotent, so every process of the app does this at
 * start-up and the schedule ticks once however many run.
 */
@Injectable()
export class ScheduleRegistrar {
  private readonly logger = new Logger('JobsModule');

  constructor(
    private readonly orchestrator: Orchestrator,
    @Inject(JOBS_RESOLVED_OPTIONS) private readonly options: ResolvedJobsModuleOptions,
  ) {}

  /** Upserts them one by one; the first refused rejects (failing start-up), naming where it was declared. */
  async upsert(decorated: readonly DeclaredSchedule[]): Promise<void> {
    const schedules = [...resolveScheduleRegistrations('JobsModule', this.options.schedules), ...decorated];
    refuseTwice('JobsModule', schedules);
    for (const { queue, key, when, input, options, declaredBy } of schedules) {
      try {
        await this.orchestrator.schedule(queue, key, when, input, options);
      } catch (error) {
        this.logger.error(JobsMessages.scheduleRefused(key, queue, declaredBy, error));
        throw error;
      }
    }
  }
}
