import { printable } from '../output';
import type { CliCommand } from './cli-command';

export const resumeCommand: CliCommand = {
  name: 'resume',
  args: ['queue'],
  summary: 'lets the consumers of a paused queue take jobs again, at once',
  options: {},
  details: 'Resuming a queue that is not paused does nothing.',
  async run({ orchestrator, args: [queue] }) {
    await orchestrator.resume(queue);
    return { json: { queue, paused: false }, text: `resumed "${printable(queue)}"` };
  },
};
