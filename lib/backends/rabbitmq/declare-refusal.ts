/** What a 406 PRECONDITION_FAILED from a re-declaration says differs. */
export interface Inequivalence {
  /** The argument or property that differs: `x-max-priority`, `x-queue-type`, `type` (of an exchange), `durable` … */
  arg: string;
  /** What the broker has, as it words it ("'quorum'", "none" …). */
  current: string;
}

/**
 * Reads RabbitMQ's "inequivalent arg 'X' for queue 'Q' in vhost '/': received … but current is …"
 * out of a refusal; null if it is not one.
 */
export function inequivalenceOf(err: unknown): Inequivalence | null {
  const message = (err as Error)?.message ?? '';
  const match = /inequivalent arg '([^']+)' for \w+ '[^']*' in vhost '[^']*': received .* but current is (.+?)"?$/.exec(message);
  return match ? { arg: match[1], current: match[2].replace(/^the value /, '').replace(/ of type '\w+'$/, '') } : null;
}

/** A queue type RabbitMQClient cannot use (its queues are classic), from the current value of x-queue-type. */
export function foreignQueueType(err: unknown): string | null {
  const found = inequivalenceOf(err);
  if (found?.arg !== 'x-queue-type') return null;
  const type = found.current.replace(/'/g, '');
  return type === 'classic' || type === 'none' ? null : type;
}
