import { LocalClient, Orchestrator, TransientBackendError } from '../../lib';
import { FnConsumer, taskSchema } from '../conformance/conformance.fixtures';

/**
 * consumeUntilEmpty asks the backend how many jobs still wait once a pass took none (a paused or held
 * queue is not empty). That question comes after the drain's work is done: a backend that cannot
 * answer it for a moment must not turn a finished drain into a rejection.
 */
it('a drain whose final count fails transiently ends with what it settled', async () => {
  const client = new LocalClient();
  const orchestrator = new Orchestrator(client);
  const queue = 'drain-count-fails';
  await orchestrator.register(taskSchema(queue));
  for (const label of ['a', 'b', 'c']) await orchestrator.publish(queue, { label });
  const countWaiting = client.countWaiting.bind(client);
  let failures = 0;
  client.countWaiting = async (name: string) => {
    if (name === queue) {
      failures++;
      throw new TransientBackendError('the broker went away for a moment');
    }
    return countWaiting(name);
  };
  const ran: string[] = [];
  const consumer = new FnConsumer(queue, (job) => void ran.push(job.payload.label));
  consumer.connect(orchestrator);
  try {
    expect(await consumer.consumeUntilEmpty()).toBe(3);
    expect(ran.sort()).toEqual(['a', 'b', 'c']);
    expect(failures).toBeGreaterThan(0);
  } finally {
    client.countWaiting = countWaiting;
    await orchestrator.close();
  }
});
