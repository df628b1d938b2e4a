import type { BenchOptions } from '../bench.options';
import { SCENARIOS, type Measurement } from '../scenarios';
import type { SystemName } from '../systems/system-names';
import { findMeasurement } from './scenario-table.report';
import { renderTextTable } from './text-table';

/** Which broker a system's jobs live in, for its server-side CPU. */
const SERVER_OF: Record<SystemName, 'redis' | 'rabbitmq' | null> = {
  local: null,
  'local-file': null,
  redis: 'redis',
  'redis-prefetch': 'redis',
  'redis-wait': 'redis',
  bullmq: 'redis',
  'bee-queue': 'redis',
  'raw-ioredis': 'redis',
  rabbitmq: 'rabbitmq',
  'raw-amqplib': 'rabbitmq',
};

/** Client and server CPU per job of one measurement, in microseconds. */
export function cpuPerJob(m: Measurement): { client: number; server: number | null } | null {
  if (m.status !== 'ok' || !m.cpuMs || !m.jobs) return null;
  const server = SERVER_OF[m.system];
  const serverMs = server === null ? null : m.cpuMs[server];
  return { client: (m.cpuMs.client * 1000) / m.jobs, server: serverMs === null ? null : (serverMs * 1000) / m.jobs };
}

/**
 * CPU per job in every throughput case: the benchmark's processes + the broker. On a machine where
 * clients and broker share few cores, this is what bounds jobs/s, and it shows which side to make cheaper.
 */
export function renderCpuTable(options: BenchOptions, measurements: readonly Measurement[]): string | null {
  const columns = options.scenarios
    .filter((name) => name !== 'round-trip')
    .flatMap((name) =>
      SCENARIOS[name]
        .columns(options)
        .filter((c) => c.metric === 'jobsPerSec')
        .map((c) => ({ scenario: name, case: c.case, header: `${name} ${c.case}` })),
    );
  if (columns.length === 0) return null;
  const rows = options.systems.map((system) => [
    system,
    ...columns.map((column) => {
      const m = findMeasurement(measurements, column.scenario, column.case, system);
      const cpu = m && cpuPerJob(m);
      if (!cpu) return '';
      return cpu.server === null ? `${Math.round(cpu.client)}` : `${Math.round(cpu.client)} + ${Math.round(cpu.server)}`;
    }),
  ]);
  return [
    'CPU per job, µs: benchmark processes + broker (redis-server or the RabbitMQ node)',
    '  the broker figure counts everything the broker did meanwhile, for any client',
    '',
    renderTextTable(['system', ...columns.map((c) => c.header)], rows),
  ].join('\n');
}
