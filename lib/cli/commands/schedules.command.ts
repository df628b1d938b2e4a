import { cut, table } from '../output';
import type { CliCommand } from './cli-command';

export const schedulesCommand: CliCommand = {
  name: 'schedules',
  args: [],
  optionalArgs: ['queue'],
  summary: 'the repeatable jobs (of one queue, or of all), each with when it ticks and its next run',
  options: {},
  details:
    'A schedule is upserted by the app (orchestrator.schedule, @Schedule, JobsModule schedules) and removed with orchestrator.unschedule. ' +
    'RabbitMQ keeps no schedules (exit 5).',
  async run({ orchestrator, args: [queue] }) {
    const schedules = await orchestrator.schedules(queue);
    const rows = schedules.map((schedule) => [
      schedule.queue,
      schedule.key,
      schedule.cron !== undefined ? `cron ${schedule.cron} (${schedule.tz ?? 'UTC'})` : `every ${schedule.every} ms`,
      schedule.nextRunAt.toISOString(),
      schedule.priority,
      cut(schedule.payload, 40),
    ]);
    return {
      json: { ...(queue !== undefined && { queue }), schedules },
      text:
        schedules.length === 0
          ? `no schedules${queue !== undefined ? ` in "${queue}"` : ''}`
          : table(['QUEUE', 'KEY', 'WHEN', 'NEXT RUN', 'PRIORITY', 'PAYLOAD'], rows),
    };
  },
};
