import { printable } from '../output';
import type { CliCommand } from './cli-command';

export const pauseCommand: CliCommand = {
  name: 'pause',
  args: ['queue'],
  summary: 'stops every consumer, in every process, taking jobs from a queue until `resume`',
  options: {},
  details:
    'Publishing goes on and the jobs wait. Runs under way finish, and jobs a consumer took ahead (prefetch) before the pause may still run. ' +
    'The pause is kept by the backend: it outlives the processes. Pausing a paused queue does nothing.',
  async run({ orchestrator, args: [queue] }) {
    await orchestrator.pause(queue);
    return { json: { queue, paused: true }, text: `paused "${printable(queue)}": its consumers take no jobs until \`resume\`` };
  },
};
