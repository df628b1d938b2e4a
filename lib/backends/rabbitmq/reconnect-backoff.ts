/**
 * The wait before reconnection attempt `attempt` (0 for the first): the `delays` entry for it (the last
 * repeating, so it is the cap) with equal jitter — half of it fixed, half random — so that many clients
 * cut off by one broker restart do not all come back in the same millisecond, while none waits longer
 * than its listed delay or less than half of it. `random` returns [0, 1) (injected by tests).
 */
export function reconnectDelay(delays: readonly number[], attempt: number, random: () => number = Math.random): number {
  const base = delays[Math.min(Math.max(0, attempt), delays.length - 1)];
  const half = base / 2;
  return Math.round(half + half * Math.min(Math.max(random(), 0), 1));
}
