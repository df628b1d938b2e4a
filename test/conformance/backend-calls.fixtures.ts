import type { JobBackend } from '../../lib';

/**
 * A drain that waits in a fetch asks nothing more until a wake. The window it is watched over is longer
 * than a second, the longest gap between the periodic looks of a drain that checks on a clock, so such a
 * drain is caught; the fallback is how long a drain gets to reach its waiting fetch on a loaded machine.
 */
export const QUIET_WINDOW_MS = 1200;
export const QUIET_FALLBACK_MS = 2000;

/**
 * Counts the backend's fetch and countWaiting calls for `queue` (wrapping the instance's methods until
 * restore), and resolves `waitingFetch` at the first fetch that waits.
 */
export function watchFetches(backend: JobBackend, queue: string): { readonly count: number; waitingFetch: Promise<void>; restore(): void } {
  const fetch = Object.getOwnPropertyDescriptor(backend, 'fetch');
  const countWaiting = Object.getOwnPropertyDescriptor(backend, 'countWaiting');
  const originalFetch = backend.fetch.bind(backend);
  const originalCount = backend.countWaiting.bind(backend);
  let count = 0;
  let sawWaitingFetch!: () => void;
  const waitingFetch = new Promise<void>((resolve) => (sawWaitingFetch = resolve));
  backend.fetch = (name, max, options) => {
    if (name === queue) count++;
    if (name === queue && options.wait) sawWaitingFetch();
    return originalFetch(name, max, options);
  };
  backend.countWaiting = (name) => {
    if (name === queue) count++;
    return originalCount(name);
  };
  return {
    get count() {
      return count;
    },
    waitingFetch,
    restore() {
      restoreMethod(backend, 'fetch', fetch);
      restoreMethod(backend, 'countWaiting', countWaiting);
    },
  };
}

/**
 * The fetch and count calls a drain makes over QUIET_WINDOW_MS from its waiting fetch on (or from
 * QUIET_FALLBACK_MS, should it never wait in one: a drain that looks on a clock is watched all the same).
 */
export async function callsWhileDrainWaits(calls: { readonly count: number; waitingFetch: Promise<void> }): Promise<number> {
  await Promise.race([calls.waitingFetch, sleep(QUIET_FALLBACK_MS)]);
  const before = calls.count;
  await sleep(QUIET_WINDOW_MS);
  return calls.count - before;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function restoreMethod(backend: JobBackend, name: 'fetch' | 'countWaiting', own: PropertyDescriptor | undefined): void {
  if (own) Object.defineProperty(backend, name, own);
  else delete (backend as unknown as Record<string, unknown>)[name];
}
