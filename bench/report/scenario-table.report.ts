import type { BenchOptions } from '../bench.options';
import type { Column, Measurement, Scenario } from '../scenarios';
import type { SystemName } from '../systems/system-names';
import { formatMs, formatRate } from './number-format';
import { renderTextTable } from './text-table';

/** The measurement of one case of one scenario on one system, if there is one. */
export function findMeasurement(
  measurements: readonly Measurement[],
  scenario: string,
  caseName: string,
  system: SystemName,
): Measurement | undefined {
  return measurements.find((m) => m.scenario === scenario && m.case === caseName && m.system === system);
}

/** One scenario as a table: a row per system, a column per number (jobs/s or a latency percentile). */
export function renderScenarioTable(scenario: Scenario, options: BenchOptions, measurements: readonly Measurement[]): string {
  const columns = scenario.columns(options);
  const rows = options.systems.map((system) => [
    system,
    ...columns.map((column) => cell(findMeasurement(measurements, scenario.name, column.case, system), column)),
  ]);
  return [
    `${scenario.title}`,
    `  ${scenario.describe(options)}`,
    '',
    renderTextTable(['system', ...columns.map((c) => c.header)], rows),
  ].join('\n');
}

function cell(measurement: Measurement | undefined, column: Column): string {
  if (!measurement) return '';
  switch (measurement.status) {
    case 'failed':
      return 'FAILED';
    case 'not available':
      return 'not avail.';
    case 'n/a':
      return '—';
    case 'ok': {
      if (column.metric === 'jobsPerSec') return measurement.jobsPerSec === undefined ? '' : formatRate(measurement.jobsPerSec);
      const latency = measurement.latencyMs?.[column.metric];
      return latency === undefined ? '' : formatMs(latency);
    }
  }
}
