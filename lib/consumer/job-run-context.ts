import type { JobProgress } from '../backend/job-state';
import { LeaseLostError } from '../errors';
import type { RunScope } from '../observability/job-instrumentation';
import type { HeldJob } from './held-job';
import type { JobSettler } from './job-settler';
import { checkProgress } from './progress-value';
import type { RunContext } from './run-pipeline';
import type { JobBackend } from '../backend/job-backend.interface';

/**
 * The context one run is given. A class, so a run costs one small object and no closures; `signal`
 * is made only when the run reads it.
 */
export class JobRunContext implements RunContext {
  constructor(
    readonly queue: string,
    private readonly job: HeldJob,
    private readonly backend: JobBackend,
    private readonly settler: JobSettler,
    private readonly scope: RunScope,
  ) {}

  get signal(): AbortSignal {
    return this.job.signal;
  }

  async progress(value: JobProgress): Promise<void> {
    const checked = checkProgress(this.queue, value);
    const { delivery } = this.job;
    // Timed out, given back or taken back: the job is no longer this run's to report on.
    if (this.job.state !== 'running') throw new LeaseLostError(this.queue, delivery.job.id);
    if (this.backend.capabilities.progress) await this.backend.reportProgress?.(delivery, checked);
    this.settler.emit('progress', { queue: this.queue, job: delivery.job, progress: checked });
    this.scope.progress?.(checked);
  }
}
