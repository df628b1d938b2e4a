import { InvalidOptionError, TopologyConflictError } from '../../errors';
import type { BrokerQueueKind } from './rabbitmq-client.options';
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

/**
 * Why an existing work queue matches neither type (`refusals`: the broker's answer to each): first whether
 * it is of another kind than `wanted` (classic, quorum, stream: existingKind), then the rest.
 */
export async function explainForeignQueue(
  connection: RabbitMQConnection,
  names: QueueNames,
  refusals: readonly unknown[],
  wanted: BrokerQueueKind = 'classic',
): Promise<Error> {
  let foreign: string | null;
  try {
    const kind = await existingKind(connection, names);
    foreign = kind === wanted ? null : kind;
  } catch (err) {
    return connection.transient(err) as Error;
  }
  if (foreign) {
    const advice =
      foreign === 'classic' || foreign === 'quorum'
        ? ` (option queueType '${wanted}'); a queue's kind cannot change — use queueType '${foreign}', or drain and delete the queue and declare it again`
        : '';
    return new TopologyConflictError(
      names.queue,
      'queue',
      names.work,
      `as a ${foreign} queue (x-queue-type), where this RabbitMQClient declares ${wanted} queues${advice}`,
    );
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
    differenceOf(refusals[0], `a ${wanted} queue with the arguments RabbitMQClient declares`),
  );
}

/**
 * The kind of an existing queue (x-queue-type; a queue declared without one is classic). RabbitMQ names
 * only the first argument that differs, and compares others before x-queue-type, so the probe declares
 * `x-queue-type: classic` and takes on each other argument the broker names (with the value it has) until
 * it is accepted (classic) or refused for x-queue-type (naming the kind). Each try is on a channel of its own.
 */
async function existingKind(connection: RabbitMQConnection, names: QueueNames): Promise<string | null> {
  const probe: Record<string, unknown> = { 'x-queue-type': 'classic' };
  for (let tries = 0; tries < 8; tries++) {
    try {
      await connection.withChannel((channel) => channel.assertQueue(names.work, { durable: true, arguments: probe }));
      return 'classic';
    } catch (err) {
      if (!isPreconditionFailed(err)) throw err;
      const found = inequivalenceOf(err);
      if (!found) return null;
      const raw = found.current.replace(/^'|'$/g, '');
      if (found.arg === 'x-queue-type') return raw === 'none' ? 'classic' : raw;
      if (raw === 'none') delete probe[found.arg];
      else probe[found.arg] = /^-?\d+$/.test(raw) ? Number(raw) : raw;
    }
  }
  return null;
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
