import { printable } from '../output';
import { UsageError } from '../usage.error';
import type { CliCommand } from './cli-command';

export const purgeDeadCommand: CliCommand = {
  name: 'purge-dead',
  args: ['queue'],
  summary: 'deletes every dead letter of a queue (asks for --yes)',
  options: {
    yes: { type: 'boolean', description: 'confirm: the dead letters cannot be brought back' },
  },
  details: 'Look first with `dead <queue>`; redrive what should run again.',
  async run({ orchestrator, args: [queue], options }) {
    if (options.yes !== true) throw new UsageError(`purge-dead deletes every dead letter of "${queue}" for good — add --yes to confirm`);
    const purged = await orchestrator.purgeDeadLetters(queue);
    return { json: { queue, purged }, text: `purged ${purged} dead letter${purged === 1 ? '' : 's'} of "${printable(queue)}"` };
  },
};
