import type { BenchOptions } from '../bench.options';
import type { Measurement } from '../scenarios';
import type { SystemName } from '../systems/system-names';
import { formatRate, formatRatio } from './number-format';
import { findMeasurement } from './scenario-table.report';
import { renderTextTable } from './text-table';

/** One comparison that matters, with its target (issue 17) when it has one. */
export interface Comparison {
  /** "redis / bullmq" or "local end to end". */
  what: string;
  scenario: string;
  case: string;
  /** A ratio, or (for an absolute target) jobs/s; null when either side is missing. */
  value: number | null;
  unit: 'ratio' | 'jobs/s';
  /** The value must be at least this much; absent for a comparison shown for information. */
  target?: number;
  met: boolean | null;
}

/** Local in memory must reach this end to end, validation on (issue 17). */
export const LOCAL_TARGET_JOBS_PER_SEC = 250_000;

/**
 * The ratios issue 17 sets targets for; for information, the rest of each pair, our Redis backend against
 * its bare-ioredis ceiling, and that ceiling against BullMQ.
 */
export function compare(measurements: readonly Measurement[], options: BenchOptions): Comparison[] {
  const consumeCases = options.concurrencies.map((c) => ({ scenario: 'consume', case: `c=${c}` }));
  const pipelineCases = options.processes.map((p) => ({ scenario: 'pipeline', case: `${p} ${p === 1 ? 'process' : 'processes'}` }));
  const publishCases = [`batch ${options.batchSize}`, 'single'].map((c) => ({ scenario: 'publish', case: c }));
  const out: Comparison[] = [];
  const ratio = (ours: SystemName, theirs: SystemName, cases: { scenario: string; case: string }[], target?: number): void => {
    if (!options.systems.includes(ours) || !options.systems.includes(theirs)) return;
    for (const c of cases) {
      if (!options.scenarios.includes(c.scenario as never)) continue;
      const a = rateOf(measurements, c.scenario, c.case, ours);
      const b = rateOf(measurements, c.scenario, c.case, theirs);
      const value = a !== null && b !== null && b > 0 ? a / b : null;
      out.push({
        what: `${ours} / ${theirs}`,
        ...c,
        value,
        unit: 'ratio',
        target,
        met: target === undefined || value === null ? null : value >= target,
      });
    }
  };
  const single = publishCases.filter((c) => c.case === 'single');
  const batch = publishCases.filter((c) => c.case !== 'single');
  const consumeAt = (c: number) => consumeCases.filter((x) => x.case === `c=${c}`);
  // Issue 17's targets, on defaults: our Redis against bee-queue and BullMQ, RabbitMQ against bare amqplib.
  ratio('redis', 'bee-queue', batch, 1);
  ratio('redis', 'bee-queue', consumeAt(50), 2);
  ratio('redis', 'bee-queue', consumeAt(1), 1.5);
  ratio('redis', 'bullmq', single, 1.5);
  ratio('redis', 'bullmq', [...consumeCases, ...pipelineCases]);
  ratio('redis-prefetch', 'bullmq', [...consumeCases, ...pipelineCases]);
  ratio('rabbitmq', 'raw-amqplib', [...single, ...consumeAt(1)], 0.95);
  ratio('rabbitmq', 'raw-amqplib', [...batch, ...consumeAt(50), ...pipelineCases]);
  if (options.systems.includes('local') && options.scenarios.includes('pipeline')) {
    const value = rateOf(measurements, 'pipeline', pipelineCases[0]?.case ?? '', 'local');
    out.push({
      what: 'local end to end',
      scenario: 'pipeline',
      case: 'in-process',
      value,
      unit: 'jobs/s',
      target: LOCAL_TARGET_JOBS_PER_SEC,
      met: value === null ? null : value >= LOCAL_TARGET_JOBS_PER_SEC,
    });
  }
  ratio('redis', 'raw-ioredis', [...consumeCases, ...pipelineCases]);
  // How far above the peers the bare minimum itself gets: the room the targets have on this machine.
  ratio('raw-ioredis', 'bullmq', [...consumeCases, ...pipelineCases]);
  return out;
}

function rateOf(measurements: readonly Measurement[], scenario: string, caseName: string, system: SystemName): number | null {
  const m = findMeasurement(measurements, scenario, caseName, system);
  return m?.status === 'ok' && m.jobsPerSec !== undefined ? m.jobsPerSec : null;
}

export function renderComparisons(comparisons: readonly Comparison[]): string {
  const rows = comparisons.map((c) => [
    c.what,
    `${c.scenario} ${c.case}`,
    c.value === null ? 'n/a' : c.unit === 'ratio' ? formatRatio(c.value) : `${formatRate(c.value)} jobs/s`,
    c.target === undefined ? '(info)' : c.unit === 'ratio' ? `≥ ${formatRatio(c.target)}` : `> ${formatRate(c.target)} jobs/s`,
    c.met === null ? (c.target === undefined ? '' : 'no data') : c.met ? 'met' : 'MISSED',
  ]);
  return ['Targets (issue 17)', '', renderTextTable(['comparison', 'case', 'value', 'target', ''], rows, 2)].join('\n');
}
