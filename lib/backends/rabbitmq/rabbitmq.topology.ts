import type { Options } from 'amqplib';
import type { QueueType } from '../../backend/queue-type';
import type { RetentionRule } from '../../backend/retention-options';
import { InvalidOptionError } from '../../errors';
import type { BrokerQueueKind } from './rabbitmq-client.options';

/** The broker names that make up one queue of ours; TOPOLOGY.md describes each. */
export interface QueueNames {
  /** The queue as the library's user names it. */
  queue: string;
  /** Where waiting jobs are: `<prefix><queue>`. */
  work: string;
  /** Where dead letters are: `<prefix><queue>.dead`. */
  dead: string;
  /** Fanout exchange the work queue dead-letters into (broker-side rejects), bound to `dead`. */
  deadExchange: string;
}

/** Queue argument naming the type, for people reading the broker's queue list; equivalence comes from x-max-priority. */
export const QUEUE_TYPE_ARGUMENT = 'x-mindtrace-queue-type';
/** Header on a dead letter: its JobFailure as JSON. */
export const FAILURE_HEADER = 'x-mindtrace-failure';
/**
 * Header on a job published again by its caller after an earlier publish of it failed ambiguously: this
 * copy may be a second one, and is dropped on delivery if the job store says the job already started.
 */
export const RESENT_HEADER = 'x-mindtrace-resent';

/** Arguments of the dead-letter queue that carry `retention.dead`; a clash in one of them means the retention changed. */
export const DEAD_RETENTION_ARGUMENTS: readonly string[] = ['x-max-length', 'x-message-ttl', 'x-overflow'];

/** A broker name is at most 255 bytes; the longest suffix we add is `.delay.` plus 10 digits. */
const MAX_NAME_BYTES = 255;
const LONGEST_SUFFIX = '.delay.4294967295';
/** Names that would collide with the ones we derive from another queue. */
const RESERVED_ENDING = /\.(dead|delay\.\d+)$/;

/**
 * How long a waiting (delay) queue outlives its last declaration. A delay queue is re-declared at
 * least every DELAY_QUEUE_REFRESH_MS while it is used, and must outlive the messages put in it since.
 */
export const DELAY_QUEUE_REFRESH_MS = 10_000;
const DELAY_QUEUE_GRACE_MS = 60_000;
/** x-message-ttl is an unsigned 32-bit number of milliseconds. */
export const MAX_DELAY_MS = 2 ** 32 - 1 - DELAY_QUEUE_REFRESH_MS - DELAY_QUEUE_GRACE_MS;

/** Derives every broker name of our topology from a queue name, and the arguments each is declared with. */
export class Topology {
  constructor(
    private readonly prefix: string,
    private readonly maxPriority: number,
    private readonly deadRetention: Required<RetentionRule>,
    /** Every queue of ours is this kind: replicated (quorum) or not (classic). */
    readonly queueKind: BrokerQueueKind = 'classic',
  ) {}

  /**
   * What a quorum queue is declared with: its kind, and at-least-once dead-lettering (the broker's
   * default from a quorum queue is at-most-once), which needs `x-overflow: reject-publish` — harmless
   * where no length limit is set (work and delay queues).
   */
  private quorum(deadLetters: boolean): Record<string, unknown> {
    if (this.queueKind !== 'quorum') return {};
    if (!deadLetters) return { 'x-queue-type': 'quorum' };
    return { 'x-queue-type': 'quorum', 'x-dead-letter-strategy': 'at-least-once', 'x-overflow': 'reject-publish' };
  }

  /** The direct exchange that carries pause notices to every client, routed by work queue name (TOPOLOGY.md "Pause"). */
  get controlExchange(): string {
    return `${this.prefix}mindtrace.control`;
  }

  /** The durable exchange whose existence means the work queue `work` is paused. */
  pauseMarker(work: string): string {
    return `${work}.paused`;
  }

  namesOf(queue: string): QueueNames {
    const work = `${this.prefix}${queue}`;
    return { queue, work, dead: `${work}.dead`, deadExchange: `${work}.dead` };
  }

  /** Checks that a queue name can carry our suffixes and does not look like one of our own names. */
  checkName(queue: string): void {
    const where = `declare "${queue}"`;
    if (typeof queue !== 'string' || queue.length === 0) throw new InvalidOptionError(where, 'queue', 'must be a non-empty string');
    if (RESERVED_ENDING.test(queue)) {
      throw new InvalidOptionError(
        where,
        'queue',
        'must not end in ".dead" or ".delay.<number>" — RabbitMQClient uses those names for dead-letter and delay queues',
      );
    }
    const bytes = Buffer.byteLength(`${this.prefix}${queue}${LONGEST_SUFFIX}`);
    if (bytes > MAX_NAME_BYTES) {
      throw new InvalidOptionError(
        where,
        'queue',
        `is too long: with the prefix and the suffixes RabbitMQClient adds it needs ${bytes} bytes, RabbitMQ allows ${MAX_NAME_BYTES}`,
      );
    }
  }

  /** The work queue's declaration. Only x-max-priority and x-dead-letter-exchange are compared on re-declaration. */
  workQueue(names: QueueNames, type: QueueType): Options.AssertQueue {
    // At-most-once dead-lettering here (it carries only broker-side rejects; the client publishes its own
    // dead letters confirmed): at-least-once needs reject-publish, whose enqueuer registration fails
    // publishes to the queue while it elects a leader (seen as nacks and hung confirms on a node loss).
    const args: Record<string, unknown> = {
      [QUEUE_TYPE_ARGUMENT]: type,
      'x-dead-letter-exchange': names.deadExchange,
      ...this.quorum(false),
    };
    if (type === 'priority') args['x-max-priority'] = this.maxPriority;
    return { durable: true, arguments: args };
  }

  /**
   * The dead-letter queue, bounded by `retention.dead` on the broker itself: `x-max-length` (the default
   * overflow, drop-head, drops the oldest) and `x-message-ttl` (expires them on an idle queue too). The
   * broker compares both on re-declaration, so a client with another rule cannot declare the queue.
   */
  deadQueue(): Options.AssertQueue {
    return { durable: true, arguments: { ...this.deadQueueArguments(), ...this.quorum(false) } };
  }

  deadQueueArguments(): Record<string, number> {
    const { count, ageMs } = this.deadRetention;
    const args: Record<string, number> = {};
    if (Number.isFinite(count)) args['x-max-length'] = count;
    if (Number.isFinite(ageMs)) args['x-message-ttl'] = Math.ceil(ageMs);
    return args;
  }

  /** Name of the waiting queue that holds a queue's jobs for `delayMs` before dead-lettering them back. */
  delayQueueName(names: QueueNames, delayMs: number): string {
    return `${names.work}.delay.${delayMs}`;
  }

  /**
   * A waiting queue: nobody consumes it; each message expires after `delayMs` (x-message-ttl, the same
   * for all, so they expire in order) and the broker dead-letters it through the default exchange back
   * to the work queue. It deletes itself (x-expires) once unused for a while.
   */
  delayQueue(names: QueueNames, delayMs: number): Options.AssertQueue {
    return {
      durable: true,
      arguments: {
        'x-message-ttl': delayMs,
        'x-dead-letter-exchange': '',
        'x-dead-letter-routing-key': names.work,
        'x-expires': delayMs + DELAY_QUEUE_REFRESH_MS + DELAY_QUEUE_GRACE_MS,
        // Replicated too, and dead-lettered at least once: a job in backoff survives the loss of a node.
        ...this.quorum(true),
      },
    };
  }
}

/**
 * Rounds a delay up to three significant digits (at most 1% later, never sooner), so arbitrary delays
 * share a bounded number of waiting queues: 1234 ms → 1240 ms, 98 765 ms → 98 800 ms.
 */
export function delayBucket(delayMs: number): number {
  const ms = Math.ceil(delayMs);
  if (ms < 1000) return ms;
  const step = 10 ** (Math.floor(Math.log10(ms)) - 2);
  return Math.ceil(ms / step) * step;
}
