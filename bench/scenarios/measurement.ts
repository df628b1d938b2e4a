import type { CpuSpent } from '../cpu-meter';
import type { LatencySummary } from '../latency';
import type { SystemName } from '../systems/system-names';
import type { ScenarioName } from './scenario-names';

/**
 * ok; failed (a job was lost or run twice, or the system threw: `detail` says which); not available
 * (the system cannot run here: `detail` says why); n/a (the case does not apply to this system).
 */
export type MeasurementStatus = 'ok' | 'failed' | 'not available' | 'n/a';

/** One cell of the results: one case of one scenario on one system. */
export interface Measurement {
  scenario: ScenarioName;
  /** The case within the scenario, e.g. "c=50" or "2 processes". */
  case: string;
  system: SystemName;
  status: MeasurementStatus;
  jobs?: number;
  seconds?: number;
  jobsPerSec?: number;
  latencyMs?: LatencySummary;
  /** CPU used during the measured phase, by the benchmark's processes and by the brokers. */
  cpuMs?: CpuSpent;
  detail?: string;
}

/** What a case measured, before the runner labels it. */
export type CaseResult = Pick<Measurement, 'jobs' | 'seconds' | 'jobsPerSec' | 'latencyMs' | 'cpuMs' | 'detail'>;
