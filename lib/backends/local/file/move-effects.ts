export type FinishedPlace = 'completed' | 'dead';

/** What a move did besides its answer, so the engine can tell the right waiters (here and in other processes). */
export interface MoveEffects {
  /** Jobs became waiting in these queues (publish, retry at once, release, redrive, promotion). */
  readyQueues: Set<string>;
  /** These jobs finished (completed or dead). */
  finished: string[];
  /** These jobs are gone (deleted, cleaned, purged, dropped by retention). */
  gone: string[];
  /** Dead letters retention dropped, by queue, oldest first (each is logged). */
  deadDropped: Map<string, string[]>;
  /** A delayed job or a lease deadline was set: the next deadline may be earlier. */
  deadlineSet: boolean;
  /** Queues whose completed or dead jobs grew: retention is applied to them once, before the commit. */
  grewFinished: Map<string, Set<FinishedPlace>>;
}

export function noEffects(): MoveEffects {
  return { readyQueues: new Set(), finished: [], gone: [], deadDropped: new Map(), deadlineSet: false, grewFinished: new Map() };
}
