import { table } from '../output';
import type { CliCommand } from './cli-command';

export const statsCommand: CliCommand = {
  name: 'stats',
  args: ['queue'],
  summary: "a queue's jobs counted by state",
  options: {},
  details: 'completed counts what retention keeps (RabbitMQ: what its job store keeps, 0 without one).',
  async run({ orchestrator, args: [queue] }) {
    const stats = await orchestrator.queueStats(queue);
    return { json: { queue, ...stats }, text: table(['STATE', 'JOBS'], Object.entries(stats)) };
  },
};
