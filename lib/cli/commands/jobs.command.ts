import type { JobStatus } from '../../backend/job-state';
import { JOB_STATUSES } from '../../orchestrator/list-jobs-options';
import { cut, table } from '../output';
import { UsageError } from '../usage.error';
import type { CliCommand } from './cli-command';
import { wholeNumber } from './whole-number';

export const jobsCommand: CliCommand = {
  name: 'jobs',
  args: ['queue'],
  summary: "a page of a queue's jobs in one state, oldest first",
  options: {
    state: { type: 'string', value: 'STATE', description: `one of ${JOB_STATUSES.join(', ')} (required)` },
    offset: { type: 'string', value: 'N', description: 'jobs to skip (default 0)' },
    limit: { type: 'string', value: 'N', description: 'jobs to show, 1 to 1000 (default 50)' },
  },
  details: 'RabbitMQ lists dead jobs only (its other jobs are messages that cannot be read without taking them).',
  async run({ orchestrator, args: [queue], options }) {
    if (options.state === undefined) throw new UsageError(`jobs needs --state, one of ${JOB_STATUSES.join(', ')}`);
    const state = options.state as JobStatus;
    const offset = wholeNumber('offset', options.offset) ?? 0;
    const limit = wholeNumber('limit', options.limit);
    const page = await orchestrator.listJobs(queue, { state, offset, ...(limit !== undefined && { limit }) });
    const { total, jobs } = page;
    const heading =
      jobs.length > 0
        ? `${state} jobs ${offset + 1}–${offset + jobs.length} of ${total}`
        : total > 0
          ? `no ${state} jobs past ${offset} (${total} in all)`
          : `no ${state} jobs`;
    const rows = jobs.map((job) => [
      job.id,
      job.name,
      job.status,
      job.attempt,
      job.createdAt,
      job.error ? cut(`${job.error.name}: ${job.error.message}`) : '',
    ]);
    return {
      json: { queue, state, offset, total, jobs },
      text: jobs.length === 0 ? heading : `${heading}\n${table(['ID', 'NAME', 'STATUS', 'ATTEMPT', 'CREATED', 'ERROR'], rows)}`,
    };
  },
};
