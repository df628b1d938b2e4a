/**
 * One consumer process of the pipeline scenario (forked by pipeline.scenario.ts, never run by hand):
 * opens the queue on its system, consumes with the given concurrency, and reports every run start to
 * the producer in small batches of (n, clock, latency) triples over the IPC channel.
 */
import 'reflect-metadata';
import { nowMs } from '../clock';
import { cpuMsSince } from '../cpu-meter';
import { loadSystem, type BenchContext, type SystemName } from '../systems';

export interface ConsumerProcessSpec {
  system: SystemName;
  queue: string;
  context: BenchContext;
  concurrency: number;
}

export type ConsumerProcessMessage =
  | { type: 'ready' }
  /** Flat triples: n, run-start clock, publish → run-start latency. */
  | { type: 'ran'; runs: number[] }
  | { type: 'error'; message: string }
  /** `cpuMs`: the CPU this process used from ready until told to drain. */
  | { type: 'drained'; cpuMs: number };

/** Report at least this often, and at once when this many runs are waiting to be reported. */
const FLUSH_MS = 2;
const FLUSH_RUNS = 256;

function send(message: ConsumerProcessMessage, then?: () => void): void {
  if (process.connected) process.send?.(message, undefined, undefined, then);
  else then?.();
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2] ?? '') as ConsumerProcessSpec;
  const system = await loadSystem(spec.system);
  const queue = await system.open(spec.queue, spec.context);

  let runs: number[] = [];
  let timer: NodeJS.Timeout | null = null;
  const flush = (): void => {
    if (timer) clearTimeout(timer);
    timer = null;
    if (runs.length === 0) return;
    send({ type: 'ran', runs });
    runs = [];
  };

  const consumers = await queue.consume(spec.concurrency, {
    onJob: (job) => {
      const at = nowMs();
      runs.push(job.n, at, at - job.t);
      if (runs.length >= FLUSH_RUNS * 3) flush();
      else timer ??= setTimeout(flush, FLUSH_MS);
    },
    onError: (error) => send({ type: 'error', message: error.message }),
  });

  let cpuFrom: NodeJS.CpuUsage | null = null;
  process.on('message', (message: { type: string }) => {
    if (message.type !== 'drain') return;
    const cpuMs = cpuFrom ? cpuMsSince(cpuFrom) : 0;
    void (async () => {
      await consumers.drain();
      flush();
      await queue.close();
      send({ type: 'drained', cpuMs }, () => process.exit(0));
    })().catch(fail);
  });
  // The producer went away: nobody is counting any more.
  process.on('disconnect', () => process.exit(1));
  cpuFrom = process.cpuUsage();
  send({ type: 'ready' });
}

function fail(error: unknown): void {
  const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
  send({ type: 'error', message }, () => process.exit(1));
}

main().catch(fail);
