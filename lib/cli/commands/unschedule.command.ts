import { printable } from '../output';
import type { CliCommand } from './cli-command';
import { ScheduleNotFoundError } from '../schedule-not-found.error';

export const unscheduleCommand: CliCommand = {
  name: 'unschedule',
  args: ['queue', 'key'],
  summary: 'removes a repeatable job and its pending run',
  options: {},
  details:
    'A schedule is kept by the backend, so removing its @Schedule or schedule() call from your code does not stop it: this does. ' +
    'A run already under way finishes. Exits 4 when the queue has no schedule with that key.',
  async run({ orchestrator, args: [queue, key] }) {
    const existed = await orchestrator.unschedule(queue, key);
    if (!existed) throw new ScheduleNotFoundError(queue, key);
    return {
      json: { queue, key, removed: true },
      text: `removed schedule "${printable(key)}" of "${printable(queue)}" and its pending run`,
    };
  },
};
