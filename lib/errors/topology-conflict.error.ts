import { JobsError } from './jobs.error';

/**
 * A queue or exchange the RabbitMQ backend needs already exists on the broker declared differently
 * (another exchange type, a quorum or stream queue, other arguments), so the broker refuses to declare
 * it the way the backend uses it. Delete it, or use another name or client `prefix`.
 */
export class TopologyConflictError extends JobsError {
  constructor(
    readonly queue: string,
    /** `exchange` or `queue`. */
    readonly kind: 'exchange' | 'queue',
    /** The broker name of the exchange or queue. */
    readonly entity: string,
    /** What differs, in words. */
    readonly problem: string,
  ) {
    super(
      `Queue "${queue}": the ${kind} "${entity}" already exists on the broker ${problem}, which RabbitMQClient cannot use — ` +
        `delete it (${kind === 'queue' ? `rabbitmqctl delete_queue ${entity}` : `rabbitmqadmin delete exchange name=${entity}`}, or the management UI), ` +
        'or choose another queue name or client prefix',
    );
  }
}
