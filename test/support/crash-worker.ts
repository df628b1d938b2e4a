import type { Orchestrator } from '../../lib';
import { FnConsumer, taskSchema } from '../conformance/conformance.fixtures';
import { exitOnError, report } from './child-report';

/**
 * The body of a worker process that crash tests SIGKILL, on any backend: it consumes `queue`, reports
 * each run's start and each acknowledged completion, and hangs forever in the runs of jobs with
 * n >= `hangFrom` — once it holds `concurrency` such runs it says so, and waits to be killed.
 */
export async function runCrashWorker(
  orchestrator: Orchestrator,
  queue: string,
  options: { concurrency: number; leaseMs: number; hangFrom: number },
): Promise<void> {
  const { concurrency, leaseMs, hangFrom } = options;
  await orchestrator.register(taskSchema(queue));
  const hanging = new Set<string>();
  const consumer = new FnConsumer(
    queue,
    async (job) => {
      report({ type: 'started', id: job.id, n: job.payload.n, attempt: job.attempt });
      if ((job.payload.n ?? 0) < hangFrom) return;
      hanging.add(job.id);
      if (hanging.size === concurrency) report({ type: 'holding', ids: [...hanging] });
      await new Promise<never>(() => undefined);
    },
    { concurrency, leaseMs },
  );
  // 'completed' fires only once the backend acknowledged the completion.
  consumer.on('completed', ({ job }) => report({ type: 'completed', id: job.id }));
  consumer.connect(orchestrator);
  consumer.consume().catch(exitOnError);
  report({ type: 'ready' });
}
