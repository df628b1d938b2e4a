/**
 * What every system carries, as its payload: `n` is the job's id within one measured case (0…N−1), the
 * key by which the tracker counts what happened to it; `t` the producer's clock when it was published;
 * `data` padding up to the payload size asked for.
 */
export interface BenchJob {
  n: number;
  t: number;
  data: string;
}

/** Jobs n = from … from+count−1, all stamped with publish time `t`. */
export function makeJobs(from: number, count: number, t: number, data: string): BenchJob[] {
  const jobs: BenchJob[] = new Array(count);
  for (let i = 0; i < count; i++) jobs[i] = { n: from + i, t, data };
  return jobs;
}

/** Padding such that a job's JSON is about `bytes` long. */
export function paddingFor(bytes: number): string {
  const overhead = JSON.stringify({ n: 12345, t: 1234567.123, data: '' }).length;
  return 'x'.repeat(Math.max(0, bytes - overhead));
}
