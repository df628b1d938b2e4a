import type { JobRecord } from '../../backend/job-record';
import { MessageUnroutableError, QueueNotDeclaredError } from '../../errors';
import type { DelayQueues } from './delay-queues';
import type { QueueDeclarations } from './queue-declarations';
import type { RabbitMQConnection } from './rabbitmq.connection';
import { jobMessage, type OutgoingMessage } from './rabbitmq.message';
import { RESENT_HEADER, type QueueNames, type Topology } from './rabbitmq.topology';

/** Headers of a job published again after an ambiguous failure (see RESENT_HEADER). */
const RESENT_HEADERS = Object.freeze({ [RESENT_HEADER]: 1 });

/**
 * Puts jobs into a queue's work queue, or into the delay queue of their delay, confirmed (see
 * ConfirmPublisher); a message the broker returns unroutable means its queue is gone. `resent` names
 * the jobs to publish with RESENT_HEADER.
 */
export class JobPublisher {
  constructor(
    private readonly connection: RabbitMQConnection,
    private readonly topology: Topology,
    private readonly declarations: QueueDeclarations,
    private readonly delayQueues: DelayQueues,
  ) {}

  /** Publishes the jobs due now and those delayed (by delay bucket) at the same time; one wait for all. */
  publish(names: QueueNames, immediate: JobRecord[], delayed: Map<number, JobRecord[]>, resent?: ReadonlySet<string>): Promise<unknown> {
    if (delayed.size === 0) return this.toWork(names, immediate, resent);
    return Promise.all([
      immediate.length > 0 ? this.toWork(names, immediate, resent) : undefined,
      ...[...delayed].filter(([, jobs]) => jobs.length > 0).map(([bucket, jobs]) => this.delayed(names, jobs, bucket, resent)),
    ]);
  }

  /** Publishes to the work queue; a returned message means the queue was deleted. */
  toWork(names: QueueNames, jobs: readonly JobRecord[], resent?: ReadonlySet<string>): Promise<void> {
    return this.routed(
      names,
      jobs.map((job) => jobMessage(names.work, job, headersOf(job, resent))),
    );
  }

  /** Publishes ready-made messages to the work queue (QueueNotDeclaredError if any comes back unroutable). */
  async routed(names: QueueNames, messages: readonly OutgoingMessage[]): Promise<void> {
    const outcomes = await this.connection.publish(messages, names.queue);
    if (outcomes.includes('unroutable')) {
      this.declarations.forget(names.queue);
      throw new QueueNotDeclaredError(names.queue);
    }
  }

  /** Publishes into the delay queue of `bucketMs`, declaring it again if it expired meanwhile. */
  async delayed(names: QueueNames, jobs: readonly JobRecord[], bucketMs: number, resent?: ReadonlySet<string>): Promise<void> {
    let pending = jobs;
    for (let round = 0; round < 2 && pending.length > 0; round++) {
      const name = await this.delayQueues.declare(names, bucketMs);
      const outcomes = await this.connection.publish(
        pending.map((job) => jobMessage(name, job, headersOf(job, resent))),
        names.queue,
      );
      pending = pending.filter((_, i) => outcomes[i] === 'unroutable');
      if (pending.length > 0) this.delayQueues.forget(name);
    }
    if (pending.length > 0)
      throw new MessageUnroutableError(names.queue, 'delayed job', this.topology.delayQueueName(names, bucketMs), pending.length);
  }
}

function headersOf(job: JobRecord, resent: ReadonlySet<string> | undefined): Record<string, unknown> | undefined {
  return resent?.has(job.id) ? RESENT_HEADERS : undefined;
}
