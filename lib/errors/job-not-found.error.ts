import { JobsError } from './jobs.error';

export class JobNotFoundError extends JobsError {
  constructor(readonly jobId: string) {
    super(`Job ${jobId} is unknown — it was never published, or it was removed by retention, cleaning or deletion`);
  }
}
