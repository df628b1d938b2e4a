import { InvalidOptionError } from '../errors';

/** Refuses a queue name that is not a non-empty string before it reaches a backend (or a broker). */
export function checkQueueName(where: string, queue: unknown): asserts queue is string {
  if (typeof queue !== 'string' || queue.trim().length === 0) {
    throw new InvalidOptionError(
      where,
      'queue',
      `must be a non-empty string naming the queue, got ${typeof queue === 'string' ? JSON.stringify(queue) : String(queue)}`,
    );
  }
}
