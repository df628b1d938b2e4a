/** Latency percentiles, in milliseconds. */
export interface LatencySummary {
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
  samples: number;
}

/** Nearest-rank percentiles of the samples. */
export function summarizeLatency(samples: readonly number[]): LatencySummary | undefined {
  if (samples.length === 0) return undefined;
  const sorted = Float64Array.from(samples).sort();
  const rank = (p: number): number => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
  let sum = 0;
  for (const value of sorted) sum += value;
  return { p50: rank(50), p95: rank(95), p99: rank(99), max: sorted[sorted.length - 1], mean: sum / sorted.length, samples: sorted.length };
}
