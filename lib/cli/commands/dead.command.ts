import { cut, table } from '../output';
import type { CliCommand } from './cli-command';
import { wholeNumber } from './whole-number';

export const deadCommand: CliCommand = {
  name: 'dead',
  args: ['queue'],
  summary: "a queue's dead letters, oldest first, with the error that put each there",
  options: {
    limit: { type: 'string', value: 'N', description: 'dead letters to show (default 100)' },
  },
  details: 'Reads without taking: the dead letters stay where they are (on RabbitMQ, peeked and given back in order).',
  async run({ orchestrator, args: [queue], options }) {
    const limit = wholeNumber('limit', options.limit);
    const letters = await orchestrator.deadLetters(queue, limit === undefined ? {} : { limit });
    const rows = letters.map(({ job, error }) => [job.id, job.name, error.attempt, error.failedAt, cut(`${error.name}: ${error.message}`)]);
    return {
      json: { queue, deadLetters: letters },
      text: letters.length === 0 ? `no dead letters in "${queue}"` : table(['ID', 'NAME', 'ATTEMPT', 'FAILED AT', 'ERROR'], rows),
    };
  },
};
