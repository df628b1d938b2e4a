import { Inject, Injectable } from '@nestjs/common';
import type { JobPage } from '../backend/job-backend.interface';
import type { JobState, JobStatus } from '../backend/job-state';
import { JobNotFoundError } from '../errors';
import { Orchestrator } from '../orchestrator/orchestrator';
import type {
  DashboardConsumer,
  DashboardOverview,
  DashboardQueue,
  DashboardSchedule,
  PauseAnswer,
  PurgeAnswer,
  RedriveAnswer,
} from './dashboard-api.types';
import type { RedriveSelection } from './dashboard-requests';
import { JOBS_DASHBOARD_OPTIONS } from './jobs-dashboard.constants';
import type { ResolvedJobsDashboardOptions } from './jobs-dashboard-options.interface';

/** What the dashboard reads and changes, through the Orchestrator, in the shapes its JSON API answers with. */
@Injectable()
export class DashboardService {
  constructor(
    private readonly orchestrator: Orchestrator,
    @Inject(JOBS_DASHBOARD_OPTIONS) private readonly options: ResolvedJobsDashboardOptions,
  ) {}

  async overview(): Promise<DashboardOverview> {
    const { backend } = this.orchestrator;
    const fromBackend = backend.capabilities.queueListing === true;
    const names = fromBackend
      ? (await this.orchestrator.listQueues()).map((queue) => queue.name)
      : [...this.orchestrator.knownQueues].sort();
    return {
      backend: backend.name,
      readOnly: this.options.readOnly,
      queueSource: fromBackend ? 'backend' : 'app',
      listableStates: backend.capabilities.jobListing ?? [],
      capabilities: { pause: backend.capabilities.pause === true, schedules: backend.capabilities.schedules === true },
      queues: await Promise.all(names.map((name) => this.queue(name))),
    };
  }

  /** Throws QueueNotDeclaredError for a queue the backend does not hold. */
  async queue(name: string): Promise<DashboardQueue> {
    const { paused, ...counts } = await this.orchestrator.queueStats(name);
    const type = await this.orchestrator.backend.queueType(name);
    return { name, type, counts, paused, consumers: this.consumersOf(name) };
  }

  jobs(queue: string, state: JobStatus, offset: number, limit: number | undefined): Promise<JobPage> {
    return this.orchestrator.listJobs(queue, { state, offset, ...(limit !== undefined && { limit }) });
  }

  async job(id: string): Promise<JobState> {
    const job = await this.orchestrator.getJob(id);
    if (!job) throw new JobNotFoundError(id);
    return job;
  }

  async redrive(queue: string, selection: RedriveSelection): Promise<RedriveAnswer> {
    return { redriven: await this.orchestrator.redrive(queue, 'ids' in selection ? { ids: selection.ids } : {}) };
  }

  async purgeDead(queue: string): Promise<PurgeAnswer> {
    return { purged: await this.orchestrator.purgeDeadLetters(queue) };
  }

  /** Every queue's schedules; none where the backend keeps none (the page then shows no table). */
  async schedules(): Promise<DashboardSchedule[]> {
    if (!this.orchestrator.backend.capabilities.schedules) return [];
    return (await this.orchestrator.schedules()).map((schedule) => ({
      ...schedule,
      nextRunAt: schedule.nextRunAt.toISOString(),
      updatedAt: schedule.updatedAt.toISOString(),
    }));
  }

  async pause(queue: string): Promise<PauseAnswer> {
    await this.orchestrator.pause(queue);
    return { paused: true };
  }

  async resume(queue: string): Promise<PauseAnswer> {
    await this.orchestrator.resume(queue);
    return { paused: false };
  }

  private consumersOf(queue: string): DashboardConsumer[] {
    const now = Date.now();
    return this.orchestrator.consumerLoops
      .filter((loop) => loop.queue === queue)
      .map((loop) => ({
        consumer: loop.consumer,
        state: loop.state,
        concurrency: loop.concurrency,
        heldJobs: loop.heldJobs,
        lastTakenAt: new Date(loop.lastTakenAt(now)).toISOString(),
      }));
  }
}
