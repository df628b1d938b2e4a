import type { JobStatus } from '../backend/job-state';
import { checkOptionKeys } from '../backend/option-keys';
import { InvalidOptionError } from '../errors';

/** Which dead letters a redrive moves: the ones named, or all of them when the caller says so. */
export type RedriveSelection = { ids: string[] } | { all: true };

/**
 * Reads a redrive body. Every dead letter is moved only on an explicit `{ "all": true }`: an empty or
 * lost body must not redrive a whole dead-letter queue.
 */
export function redriveSelectionOf(queue: string, body: unknown): RedriveSelection {
  const where = `dashboard redrive of "${queue}"`;
  checkOptionKeys(where, 'body', body ?? {}, ['ids', 'all']);
  const { ids, all } = (body ?? {}) as { ids?: unknown; all?: unknown };
  if (all === true && ids === undefined) return { all: true };
  if (all !== undefined)
    throw new InvalidOptionError(
      where,
      'all',
      `must be true, and without ids, to redrive every dead letter; got ${JSON.stringify(all)}${ids !== undefined ? ' with ids' : ''}`,
    );
  if (Array.isArray(ids) && ids.length > 0 && ids.every((id) => typeof id === 'string' && id.length > 0)) return { ids };
  throw new InvalidOptionError(
    where,
    'ids',
    `must be a non-empty array of job ids, got ${JSON.stringify(ids)} — send { "ids": ["<job id>"] }, or { "all": true } for every dead letter`,
  );
}

/** Reads the body of a change with nothing to choose (purge, pause, resume): `{}` — the JSON body is what proves the page sent it. */
export function checkEmptyBody(where: string, body: unknown): void {
  checkOptionKeys(where, 'body', body ?? {}, []);
}

/** The page of a job listing the query asks for: `?state=dead&offset=0&limit=50`. */
export function jobListingQueryOf(
  queue: string,
  query: { state?: string; offset?: string; limit?: string },
): { state: JobStatus; offset: number; limit: number | undefined } {
  const where = `dashboard listing of "${queue}"`;
  if (!query.state)
    throw new InvalidOptionError(where, 'state', 'is required: ?state=waiting (or delayed, active, failed, completed, dead)');
  return {
    state: query.state as JobStatus,
    offset: wholeNumber(where, 'offset', query.offset) ?? 0,
    limit: wholeNumber(where, 'limit', query.limit),
  };
}

function wholeNumber(where: string, name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text)) throw new InvalidOptionError(where, name, `must be a whole number, got ${JSON.stringify(text)}`);
  return Number(text);
}
