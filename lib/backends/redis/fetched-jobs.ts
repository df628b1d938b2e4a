import type { Delivery } from '../../backend/job-backend.interface';
import { decodeJob } from './job-record-decoding';

/**
 * One job as the fetch and complete scripts hand it over: its data is null when its hash was missing,
 * `ahead` is 1 when it was taken ahead of a free run slot (FetchOptions.startNow), and `problem` is set
 * when its key was not a hash (see read_popped in _prelude.lua).
 */
export type FetchedJob = [id: string, json: string | null, attempt: number, token: string, stalls: number, ahead: number, problem?: string];

/** A job a fetch took under a lease but could not decode: it is dead-lettered, never run. */
export interface MalformedDelivery {
  queue: string;
  id: string;
  token: string;
  attempt: number;
  problem: string;
}

/**
 * Decodes each fetched job on its own: one that is not a job record is set apart, so it can neither
 * fail the fetch nor hold up the healthy jobs that came with it.
 */
export function sortFetched(queue: string, jobs: readonly FetchedJob[]): { deliveries: Delivery[]; malformed: MalformedDelivery[] } {
  const deliveries: Delivery[] = [];
  const malformed: MalformedDelivery[] = [];
  for (const [id, json, attempt, token, stalls, ahead, unreadable] of jobs) {
    const { record, problem } = decodeJob(id, json, Number(attempt));
    const why = unreadable ?? problem;
    if (why === undefined) {
      const delivery: Delivery = { queue, token, stalls: Number(stalls), job: record };
      if (ahead === 1) delivery.takenAhead = true;
      deliveries.push(delivery);
    } else malformed.push({ queue, id, token, attempt: Number(attempt), problem: why });
  }
  return { deliveries, malformed };
}
