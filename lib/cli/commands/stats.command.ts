import { printable, table } from '../output';
import type { CliCommand } from './cli-command';

export const statsCommand: CliCommand = {
  name: 'stats',
  args: ['queue'],
  summary: "a queue's jobs counted by state, and whether it is paused",
  options: {},
  details: 'completed counts what retention keeps (RabbitMQ: what its job store keeps, 0 without one).',
  async run({ orchestrator, args: [queue] }) {
    const { paused, ...counts } = await orchestrator.queueStats(queue);
    const pausedLine = paused
      ? `paused: yes — its consumers take nothing until \`mindtrace-jobs resume ${printable(queue)}\``
      : 'paused: no';
    return { json: { queue, paused, ...counts }, text: `${table(['STATE', 'JOBS'], Object.entries(counts))}\n\n${pausedLine}` };
  },
};
