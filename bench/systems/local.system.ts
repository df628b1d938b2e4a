import { LocalClient } from '../../lib';
import type { BenchSystem } from './bench-system.interface';
import { OrchestratorQueue } from './orchestrator-queue';

/** Our embedded backend, through Orchestrator + Consumer with payload validation on. */
export const localSystem: BenchSystem = {
  name: 'local',
  description: 'our LocalClient via Orchestrator + Consumer, payload validated on publish and before each run',
  notes: ['local: in-process, so its pipeline runs producer and consumer in one process (no consumer processes)'],
  multiProcess: false,
  probe: async () => null,
  open: (queue) => OrchestratorQueue.open(new LocalClient(), queue),
};
