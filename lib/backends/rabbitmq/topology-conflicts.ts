import { InvalidOptionError, TopologyConflictError } from '../../errors';
import type { RabbitMQConnection } from './rabbitmq.connection';
import { DEAD_RETENTION_ARGUMENTS, type QueueNames, type Topology } from './rabbitmq.topology';

/*
 * What the broker's refusals of a declaration mean, in errors a user can act on. A refusal closes the
 * channel it happens on and names only the first argument that differs, so explaining one may take one
 * more declaration (explainForeignQueue).
 */

/** 404 NOT_FOUND: the queue or exchange does not exist (or was deleted by anyone). */
export function isNotFound(err: unknown): boolean {
  return (err as { code?: unknown })?.code === 404;
}

/** 406 PRECONDITION_FAILED: it exists, declared otherwise. */
export function isPreconditionFailed(err: unknown): boolean {
  return (err as { code?: unknown })?.code === 406;
}

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

/**
 * Why an existing work queue matches neither type (`refusals`: the broker's answer to each). The broker
 * names only the first argument that differs, so a quorum or stream queue (which RabbitMQClient cannot
 * use: it needs classic queues) is found with a declaration that differs from it in x-queue-type alone.
 */
export async function explainForeignQueue(connection: RabbitMQConnection, names: QueueNames, refusals: readonly unknown[]): Promise<Error> {
  try {
    await connection.withChannel((channel) => channel.assertQueue(names.work, { durable: true, arguments: { 'x-queue-type': 'classic' } }));
  } catch (err) {
    const foreign = foreignQueueType(err);
    if (foreign) {
      return new TopologyConflictError(
        names.queue,
        'queue',
        names.work,
        `as a ${foreign} queue (x-queue-type), where RabbitMQClient needs a classic queue`,
      );
    }
    if (!isPreconditionFailed(err)) return connection.transient(err) as Error;
  }
  const priority = refusals.find((err) => inequivalenceOf(err)?.arg === 'x-max-priority');
  if (priority) {
    return new InvalidOptionError(
      `queue "${names.queue}"`,
      'maxPriority',
      `does not match the queue on the broker (it has x-max-priority ${inequivalenceOf(priority)?.current}) — ` +
        'use the same maxPriority as the client that declared it, or delete the queue',
    );
  }
  return new TopologyConflictError(
    names.queue,
    'queue',
    names.work,
    differenceOf(refusals[0], 'a classic queue with the arguments RabbitMQClient declares'),
  );
}

/**
 * What differs on an existing dead-letter queue. A bound that differs means `retention.dead` changed (or
 * another client uses another one); the broker cannot change a queue's arguments, so say how to migrate.
 */
export function deadQueueDifference(err: unknown, topology: Topology): string {
  const wanted = Object.entries(topology.deadQueueArguments()).map(([arg, value]) => `${arg} ${value}`);
  const found = inequivalenceOf(err);
  if (!found || !DEAD_RETENTION_ARGUMENTS.includes(found.arg)) {
    return differenceOf(err, `a durable classic queue with ${wanted.length > 0 ? wanted.join(', ') : 'no arguments'}`);
  }
  return (
    `with another dead-letter retention (it has ${found.arg} ${found.current.replace(/'/g, '')}; this client's retention.dead ` +
    `declares ${wanted.length > 0 ? wanted.join(', ') : 'no bound'}: the retention changed, and the broker cannot change an existing queue — ` +
    'list or redrive its dead letters first, they go with the queue; or set retention.dead to the bounds it has, Infinity for none)'
  );
}

/** "declared with another X (it has Y)", from a 406; `wanted` says what the client declares. */
export function differenceOf(err: unknown, wanted: string): string {
  const found = inequivalenceOf(err);
  const what = found
    ? `with another ${found.arg} (it has ${found.current})`
    : `declared differently (${(err as Error)?.message ?? String(err)})`;
  return `${what}, where RabbitMQClient declares ${wanted}`;
}
