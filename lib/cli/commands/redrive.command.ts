import { printable } from '../output';
import { UsageError } from '../usage.error';
import type { CliCommand } from './cli-command';

export const redriveCommand: CliCommand = {
  name: 'redrive',
  args: ['queue'],
  summary: 'moves dead letters back to waiting, with a fresh attempt count',
  options: {
    id: { type: 'string', multiple: true, value: 'ID', description: 'a dead letter to move (repeat for several)' },
    all: { type: 'boolean', description: 'move every dead letter' },
  },
  details: 'Exactly one of --id and --all. Ids that are not dead letters of the queue move nothing and fail (exit 2).',
  async run({ orchestrator, args: [queue], options }) {
    const ids = options.id as string[] | undefined;
    if ((ids === undefined) === (options.all !== true)) throw new UsageError('redrive needs --id ID (one or more) or --all, not both');
    const redriven = await orchestrator.redrive(queue, ids === undefined ? {} : { ids });
    return { json: { queue, redriven }, text: `redrove ${redriven} dead letter${redriven === 1 ? '' : 's'} of "${printable(queue)}"` };
  },
};
