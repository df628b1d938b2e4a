import type { BenchOptions } from '../bench.options';
import type { CpuMeter } from '../cpu-meter';
import type { ProgressLine } from '../progress-line';
import type { BenchContext, BenchSystem } from '../systems/bench-system.interface';
import type { CaseResult, Measurement } from './measurement';
import type { ScenarioName } from './scenario-names';

/** What a case gets to run with. */
export interface CaseEnv {
  system: BenchSystem;
  options: BenchOptions;
  context: BenchContext;
  progress: ProgressLine;
  /** Measures CPU used by this process and the brokers during the timed phase. */
  cpu: CpuMeter;
  /** Padding for each job's `data`, from --payload-bytes. */
  padding: string;
  /** A queue name no other case of any run uses. */
  queueName(): string;
  /** Prefix for progress lines: "redis · consume c=50". */
  label: string;
}

export interface ScenarioCase {
  /** Column key in the tables, e.g. "c=50". */
  case: string;
  /** Set when the case does not apply to the system: the reason, reported as n/a. */
  skip?: string;
  run(env: CaseEnv): Promise<CaseResult>;
}

/** A table column: which case, and which number of it. */
export interface Column {
  header: string;
  case: string;
  metric: 'jobsPerSec' | 'p50' | 'p95' | 'p99' | 'max';
}

export interface Scenario {
  readonly name: ScenarioName;
  readonly title: string;
  /** One line under the table: how it was measured. */
  describe(options: BenchOptions): string;
  cases(system: BenchSystem, options: BenchOptions): ScenarioCase[];
  columns(options: BenchOptions): Column[];
}

export type { Measurement };
