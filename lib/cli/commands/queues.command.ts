import { UnsupportedCapabilityError } from '../../errors';
import { table } from '../output';
import type { CliCommand } from './cli-command';

export const queuesCommand: CliCommand = {
  name: 'queues',
  args: [],
  summary: 'every queue with its type, counts by state, and whether it is paused',
  options: {},
  details: 'RabbitMQ cannot name its queues (no management API): name one with `stats <queue>` instead.',
  async run({ orchestrator }) {
    const { backend } = orchestrator;
    if (!backend.capabilities.queueListing)
      throw new UnsupportedCapabilityError(backend.name, 'listing its queues', 'name the queue instead: mindtrace-jobs stats <queue>');
    const queues = await orchestrator.listQueues();
    const rows = [];
    for (const queue of queues) rows.push({ ...queue, stats: await orchestrator.queueStats(queue.name) });
    return {
      json: rows,
      text:
        rows.length === 0
          ? 'no queues'
          : table(
              ['QUEUE', 'TYPE', 'WAITING', 'DELAYED', 'ACTIVE', 'COMPLETED', 'DEAD', 'PAUSED'],
              rows.map(({ name, type, stats }) => [
                name,
                type,
                stats.waiting,
                stats.delayed,
                stats.active,
                stats.completed,
                stats.dead,
                stats.paused ? 'yes' : 'no',
              ]),
            ),
    };
  },
};
