import type { Delivery } from '../../backend/job-backend.interface';
import { LeaseLostError } from '../../errors';
import type { QueueScripts } from './queue-scripts';

interface PendingMark {
  delivery: Delivery;
  resolve: () => void;
  reject: (err: Error) => void;
}

/** The most marks in one call: a script runs alone on the server, so keep each call short. */
const MOST_PER_CALL = 500;

/**
 * Start marks of jobs taken ahead go out in batches: the marks a consumer asks for together (the
 * jobs one fetch round brought, started in one pass) leave as one `start` script call per queue, not
 * one per job. A queue's keys share one hash tag, so each call is one slot on a Redis Cluster. A batch
 * leaves on a microtask, never on a later tick nor behind the previous one's reply (as completions
 * do, SettleBatcher): a mark must reach Redis ahead of its run's own settle, which leaves on a
 * later tick. A job whose lease was lost meanwhile fails alone, with LeaseLostError.
 */
export class StartMarks {
  private pending = new Map<string, PendingMark[]>();
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly scripts: QueueScripts) {}

  /** Resolves once the job is marked started; rejects with LeaseLostError if it is no longer held under its token. */
  start(delivery: Delivery): Promise<void> {
    if (this.pending.size === 0) queueMicrotask(() => this.flush());
    let marks = this.pending.get(delivery.queue);
    if (!marks) this.pending.set(delivery.queue, (marks = []));
    return new Promise<void>((resolve, reject) => marks.push({ delivery, resolve, reject }));
  }

  /** Resolves once every mark asked for so far has been answered (close() waits for it). */
  async drain(): Promise<void> {
    while (this.pending.size > 0 || this.inFlight.size > 0) {
      if (this.inFlight.size > 0) await Promise.all(this.inFlight);
      // Marks asked for just now leave on a microtask: let it run.
      else await new Promise((resolve) => setImmediate(resolve));
    }
  }

  private flush(): void {
    const queues = this.pending;
    this.pending = new Map();
    for (const [queue, marks] of queues) {
      for (let from = 0; from < marks.length; from += MOST_PER_CALL) {
        const sent = this.send(queue, marks.slice(from, from + MOST_PER_CALL)).finally(() => this.inFlight.delete(sent));
        this.inFlight.add(sent);
      }
    }
  }

  /** One `start` call: each mark's promise settles from the one reply. */
  private async send(queue: string, batch: PendingMark[]): Promise<void> {
    const args: string[] = [];
    for (const { delivery } of batch) args.push(delivery.job.id, delivery.token);
    let lost: number[];
    try {
      lost = await this.scripts.run<number[]>('start', queue, args);
    } catch (err) {
      for (const mark of batch) mark.reject(err as Error);
      return;
    }
    const lostAt = new Set(lost.map((index) => index - 1));
    batch.forEach((mark, i) => (lostAt.has(i) ? mark.reject(new LeaseLostError(queue, mark.delivery.job.id)) : mark.resolve()));
  }
}
