import * as lib from '../../lib';
import type { JobBackend } from '../../lib';
import type { BenchContext, BenchSystem } from './bench-system.interface';
import { OrchestratorQueue } from './orchestrator-queue';
import { probeAmqp, runPrefix } from './servers';

/** The part of its constructor the benchmark uses. */
type RabbitMQClientClass = new (options: { url: string; prefix?: string }) => JobBackend;

/**
 * Our RabbitMQ backend, if lib/index.ts exports it yet. Looked up at run time (not imported by name)
 * so the benchmark compiles and runs before the backend lands, and reports it "not available".
 */
function rabbitMQClientClass(): RabbitMQClientClass | null {
  const exported = (lib as Record<string, unknown>).RabbitMQClient;
  return typeof exported === 'function' ? (exported as RabbitMQClientClass) : null;
}

export const rabbitmqSystem: BenchSystem = {
  name: 'rabbitmq',
  description: 'our RabbitMQClient via Orchestrator + Consumer, payload validated on publish and before each run',
  notes: [
    "rabbitmq: default options (prefetch follows the consumers' concurrency), no jobStore: job state is not kept, as for a user who sets none",
  ],
  multiProcess: true,
  probe: async (context) => {
    if (!rabbitMQClientClass()) return 'lib/index.ts does not export RabbitMQClient (yet)';
    return probeAmqp(context.amqpUrl);
  },
  open: (queue: string, context: BenchContext) => {
    const RabbitMQClient = rabbitMQClientClass();
    if (!RabbitMQClient) throw new Error('lib/index.ts does not export RabbitMQClient (yet)');
    // The prefix puts every queue and exchange it declares (delay and dead-letter queues too) under this run.
    return OrchestratorQueue.open(new RabbitMQClient({ url: context.amqpUrl, prefix: `${runPrefix(context, 'mt')}-` }), queue);
  },
};
