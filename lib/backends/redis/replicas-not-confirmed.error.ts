import { TransientBackendError } from '../../errors/transient-backend.error';

/**
 * A publish reached the primary, but fewer replicas than the client's `replicas.count` confirmed it
 * within `replicas.timeoutMs`. The jobs are enqueued and may run; only a failover before a replica
 * copies them would lose them. Transient (a replica down or lagging), and not a JobsError: publishing
 * the same jobs again (same ids, same client) is safe — one already there is not enqueued twice.
 */
export class ReplicasNotConfirmedError extends TransientBackendError {
  constructor(
    /** What was being done, e.g. `publish`. */
    readonly operation: string,
    readonly queue: string,
    /** The primary's address, without credentials. */
    readonly address: string,
    /** Replicas required (replicas.count) and those that confirmed in time. */
    readonly required: number,
    readonly confirmed: number,
    readonly timeoutMs: number,
  ) {
    super(
      `${operation} on "${queue}": only ${confirmed} of the ${required} replica(s) required confirmed it within ${timeoutMs} ms ` +
        `(the client's replicas option) — the jobs are enqueued on the primary (Redis at ${address}), but a failover before a replica ` +
        'copies them would lose them; check the replicas, and publish the same jobs again (same ids): one already there is not enqueued twice',
    );
  }
}
