/**
 * `npm run bench`: every backend against BullMQ and the raw clients, side by side, in one run
 * (issues 6 and 17). See bench/README.md, or `npm run bench -- --help`.
 */
import 'reflect-metadata';
import { BenchUsageError, HELP, parseOptions, type BenchOptions } from './bench.options';
import { BenchRunner, type BenchRun } from './bench.runner';
import { renderCpuTable } from './report/cpu-table.report';
import { ProgressLine } from './progress-line';
import { writeJsonResults } from './report/json.report';
import { formatRate, formatRatio } from './report/number-format';
import { renderScenarioTable } from './report/scenario-table.report';
import { renderThroughputChart, writeChart, type ChartGroup } from './report/svg-chart.report';
import { compare, renderComparisons, type Comparison } from './report/targets';
import { SCENARIOS } from './scenarios';
import { redactUrl } from './systems/servers';

async function main(): Promise<number> {
  let options: BenchOptions | null;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof BenchUsageError)) throw err;
    process.stderr.write(`bench: ${err.message}\nSee: npm run bench -- --help\n`);
    return 2;
  }
  if (!options) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }

  const progress = new ProgressLine();
  const runner = new BenchRunner(options, progress);
  let interrupted = false;
  process.once('SIGINT', () => {
    interrupted = true;
    progress.log('\ninterrupted: deleting this run’s queues and keys…');
    void runner.cleanUp().finally(() => process.exit(130));
  });

  const run = await runner.run();
  if (interrupted) return 130;
  const comparisons = compare(run.measurements, options);
  const failures = run.measurements.filter((m) => m.status === 'failed');

  const out = (line = ''): void => progress.log(line);
  out();
  out('══════════ Results ══════════');
  out(
    `machine: ${run.machine.cpu}, ${run.machine.cores} cores, Node ${run.machine.node}, ${run.machine.redis ?? 'no Redis'}, ${run.machine.rabbitmq ?? 'no RabbitMQ'}`,
  );
  for (const name of options.scenarios) {
    out();
    out(renderScenarioTable(SCENARIOS[name], options, run.measurements));
  }
  const cpuTable = renderCpuTable(options, run.measurements);
  if (cpuTable) {
    out();
    out(cpuTable);
  }
  out();
  out(renderComparisons(comparisons));
  const notes = [...new Set(run.systems.flatMap((s) => (s.available ? s.notes : [`${s.name}: not available — ${s.reason}`])))];
  if (notes.length > 0) {
    out();
    out('Notes');
    for (const note of notes) out(`  - ${note}`);
  }

  if (options.write) {
    const files = writeJsonResults(options.outDir, run.startedAt, resultsDocument(run, comparisons));
    files.push(writeChart(options.outDir, renderThroughputChart(chartSpec(run, comparisons))));
    out();
    out(`wrote ${files.join(', ')}`);
  }

  if (failures.length > 0) {
    out();
    out(`FAILED: ${failures.length} case(s) lost jobs, ran jobs twice, or did not finish:`);
    for (const f of failures) out(`  ${f.system} · ${f.scenario} ${f.case}: ${f.detail}`);
    return 1;
  }
  out();
  out(`done in ${Math.round((run.finishedAt.getTime() - run.startedAt.getTime()) / 1000)} s; every job of every case ran exactly once.`);
  return 0;
}

/** The JSON document: everything needed to read the numbers later, including where they came from. */
function resultsDocument(run: BenchRun, comparisons: Comparison[]): object {
  const options = { ...run.options, redisUrl: redactUrl(run.options.redisUrl), amqpUrl: redactUrl(run.options.amqpUrl) };
  return {
    runId: run.runId,
    startedAt: run.startedAt.toISOString(),
    finishedAt: run.finishedAt.toISOString(),
    durationSeconds: Math.round((run.finishedAt.getTime() - run.startedAt.getTime()) / 100) / 10,
    command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
    machine: run.machine,
    source: run.source,
    redisBenchmark: run.redisBenchmark,
    options,
    systems: run.systems,
    scenarios: options.scenarios.map((name) => ({ name, title: SCENARIOS[name].title, method: SCENARIOS[name].describe(run.options) })),
    measurements: run.measurements,
    comparisons,
    failures: run.measurements.filter((m) => m.status === 'failed'),
  };
}

function chartSpec(run: BenchRun, comparisons: Comparison[]): Parameters<typeof renderThroughputChart>[0] {
  const { options, machine } = run;
  const groups: ChartGroup[] = [];
  for (const name of options.scenarios) {
    if (name === 'round-trip') continue; // latency, not throughput
    const scenario = SCENARIOS[name];
    for (const column of scenario.columns(options)) {
      if (column.metric !== 'jobsPerSec') continue;
      groups.push({
        title: `${name} · ${column.header.replace(/ jobs\/s$/, '').replace(/^(\d+)p$/, (_, p: string) => `1 producer + ${p} consumer process${p === '1' ? '' : 'es'}`)}`,
        bars: options.systems.map((system) => {
          const m = run.measurements.find((x) => x.scenario === name && x.case === column.case && x.system === system);
          if (m?.status === 'ok' && m.jobsPerSec !== undefined) return { system, value: m.jobsPerSec };
          return {
            system,
            value: null,
            missing: m?.status === 'n/a' ? 'n/a (in-process backend: see 1 process)' : (m?.status ?? 'not run'),
          };
        }),
      });
    }
  }
  // One line per comparison: "redis / bullmq (target ≥ 3.00×): consume c=1 0.46×, …".
  const targets = new Map<string, string[]>();
  for (const c of comparisons) {
    if (c.target === undefined || c.value === null) continue;
    const key =
      c.unit === 'ratio' ? `${c.what} (target ≥ ${formatRatio(c.target)})` : `${c.what} (target > ${formatRate(c.target)} jobs/s)`;
    const value = c.unit === 'ratio' ? formatRatio(c.value) : `${formatRate(c.value)} jobs/s`;
    targets.set(key, [...(targets.get(key) ?? []), `${c.scenario} ${c.case} ${value}${c.met ? '' : ' ✗'}`]);
  }
  return {
    title: '@mindtrace/jobs benchmark — throughput by system and scenario',
    subtitle: `${machine.cpu}, ${machine.cores} cores · Node ${machine.node} · ${machine.redis ?? 'no Redis'} · ${machine.rabbitmq?.replace(/ \(.*\)$/, '') ?? 'no RabbitMQ'} · ${run.startedAt.toISOString().slice(0, 10)} · commit ${run.source.commit ?? '?'}${run.source.libChanges.length > 0 ? ' + local changes' : ''}`,
    groups,
    footer: [
      'local, redis, rabbitmq: ours, through Orchestrator + Consumer with payload validation (class-validator) on publish and before every run.',
      'bullmq: Queue + Worker, removeOnComplete, no validation. bee-queue: process(concurrency), removeOnSuccess, no validation. raw-ioredis / raw-amqplib: bare clients with the same delivery guarantees, as ceilings.',
      `Pipeline: ${options.pipelineJobs} jobs, batches of ${options.pipelineBatch}, ≤ ${options.window} waiting, concurrency ${options.pipelineConcurrency} per consumer process. Consume: backlog ${options.backlog}.`,
      ...[...targets].flatMap(([what, values]) => chunk(values, 3).map((line, i) => `${i === 0 ? `${what}: ` : '    '}${line.join(', ')}`)),
    ],
  };
}

function chunk<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`\nbench crashed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
