import { JobNotFoundError, UnsupportedCapabilityError } from '../../errors';
import { fields, printable } from '../output';
import type { CliCommand } from './cli-command';

export const jobCommand: CliCommand = {
  name: 'job',
  args: ['id'],
  summary: "one job's state: status, attempts, payload, result, error with its stack, times",
  options: {},
  details: 'On RabbitMQ it needs a job store (--job-store REDIS_URL, where the app keeps its RedisJobStateStore).',
  async run({ orchestrator, args: [id] }) {
    const { backend } = orchestrator;
    if (!backend.capabilities.jobState)
      throw new UnsupportedCapabilityError(
        backend.name,
        'job state',
        "RabbitMQ keeps messages, not records: pass --job-store REDIS_URL, the Redis of the app's RedisJobStateStore",
      );
    const job = await orchestrator.getJob(id);
    if (!job) throw new JobNotFoundError(id);
    const text = fields([
      ['id', job.id],
      ['queue', job.queue],
      ['name', job.name],
      ['status', job.status],
      ['attempt', job.attempt],
      ['priority', job.priority],
      ['created', job.createdAt],
      ['started', job.startedAt ?? '-'],
      ['finished', job.finishedAt ?? '-'],
      ['runs at', job.runAt ?? '-'],
      ['payload', job.payload],
      ['result', job.result ?? '-'],
      ['error', job.error ? `${job.error.name}: ${job.error.message} (attempt ${job.error.attempt}, ${job.error.failedAt})` : '-'],
    ]);
    // The stack keeps its lines; each line is still shown as text.
    const stack = job.error?.stack
      ? `\n${job.error.stack
          .split('\n')
          .map((line) => `  ${printable(line)}`)
          .join('\n')}`
      : '';
    return { json: job, text: text + stack };
  },
};
