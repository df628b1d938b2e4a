import type { QueueType } from '../../../backend/queue-type';

/*
 * Waiting jobs are taken in (rank, seq) order, whatever the queue type, so one index serves them all
 * (see file-schema.ts).
 */

/** Higher priority first on a priority queue; no rank elsewhere. */
export function rankOf(type: QueueType, priority: number): number {
  return type === 'priority' ? -priority : 0;
}

/** A stack takes the newest first, so its order key runs backwards. */
export function orderOf(type: QueueType, seq: number): number {
  return type === 'stack' ? -seq : seq;
}
