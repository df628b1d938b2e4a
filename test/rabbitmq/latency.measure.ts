/**
 * Measures publish → run latency on the RabbitMQ backend: 200 jobs published one at a time to an idle
 * consumer, each timed from the publish call to the start of its run. Not a test (it asserts nothing);
 * run it with `npx ts-node --transpile-only test/rabbitmq/latency.measure.ts` against a local broker.
 */
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Orchestrator, RabbitMQClient } from '../../lib';
import { FnConsumer, taskSchema } from '../conformance/conformance.fixtures';
import { RABBITMQ_URL } from '../support/servers';

const JOBS = 200;
const WARM_UP = 20;

async function main(): Promise<void> {
  const queue = 'latency';
  const orchestrator = new Orchestrator(new RabbitMQClient({ url: RABBITMQ_URL, prefix: `mt-measure-${randomUUID().slice(0, 8)}.` }));
  await orchestrator.register(taskSchema(queue));
  let started: (at: number) => void = () => undefined;
  const consumer = new FnConsumer(queue, () => started(performance.now()));
  consumer.connect(orchestrator);
  const consuming = consumer.consume();

  const latencies: number[] = [];
  for (let i = 0; i < WARM_UP + JOBS; i++) {
    const ran = new Promise<number>((resolve) => (started = resolve));
    const sent = performance.now();
    await orchestrator.publish(queue, { label: `j${i}` });
    const at = await ran;
    if (i >= WARM_UP) latencies.push(at - sent);
  }
  await consumer.stop();
  await consuming;
  await orchestrator.deleteQueue(queue);
  await orchestrator.close();

  latencies.sort((a, b) => a - b);
  const pick = (p: number): string => latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)].toFixed(2);
  console.log(
    `publish → run latency over ${JOBS} sequential jobs: p50 ${pick(50)} ms, p95 ${pick(95)} ms, p99 ${pick(99)} ms, max ${pick(100)} ms`,
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
