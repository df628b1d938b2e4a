import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalClient } from '../../lib';
import type { BenchContext, BenchSystem } from './bench-system.interface';
import { OrchestratorQueue } from './orchestrator-queue';

/** The run's SQLite file: every process of the run (producer and pipeline consumers) opens the same one. */
function runFile(context: BenchContext): string {
  return join(tmpdir(), 'mindtrace-jobs-bench', `${context.runId}.db`);
}

/** Our embedded backend on a file (durability 'normal'), through Orchestrator + Consumer with payload validation on. */
export const localFileSystem: BenchSystem = {
  name: 'local-file',
  description:
    "our LocalClient on a SQLite file (durability 'normal') via Orchestrator + Consumer, payload validated on publish and before each run",
  notes: ['local-file: one SQLite file in the temp folder shared by the producer and the pipeline consumer processes'],
  multiProcess: true,
  probe: async () => null,
  open: (queue, context) => OrchestratorQueue.open(new LocalClient({ path: runFile(context) }), queue),
};
