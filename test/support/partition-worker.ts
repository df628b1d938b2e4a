/**
 * A worker process of the partition tests (test/scale/partition.*.spec.ts), run inside a network
 * namespace of netns-kit.ts, on Redis (MT_BACKEND=redis: REDIS_URL, MT_PREFIX) or RabbitMQ
 * (MT_BACKEND=rabbitmq: RABBITMQ_URL, MT_HEARTBEAT, and a RedisJobStateStore on STORE_URL). It takes
 * commands, one JSON object a line on stdin (a pipe, not the network: it reaches a worker cut off):
 * - `{ "cmd": "consume", "queue", "concurrency", "hold"?, "leaseMs"? }`: consumes the queue ("consuming");
 *   with `hold`, every run waits for a `finish` of its queue;
 * - `{ "cmd": "finish", "queue" }`: the held runs of the queue return, and later ones return at once.
 * It reports each run's start and end, the outcome of each completion it asks the backend for
 * (accepted, or refused with the error's name) and each `completed` event, all naming the job's queue.
 * A run returns `{ echoed: "<label>@<MT_NAME>" }`, so the job state tells whose completion it kept.
 */
import 'reflect-metadata';
import { createInterface } from 'node:readline';
import {
  Orchestrator,
  RabbitMQClient,
  RedisClient,
  RedisJobStateStore,
  TransientBackendError,
  type Delivery,
  type JobBackend,
} from '../../lib';
import { FnConsumer, taskSchema } from '../conformance/conformance.fixtures';
import { env, exitOnError, report } from './child-report';

const name = env('MT_NAME');
/** The queues whose runs wait for a finish command, and the runs waiting. */
const holding = new Map<string, (() => void)[]>();

interface Command {
  cmd: 'consume' | 'finish';
  queue: string;
  concurrency?: number;
  hold?: boolean;
  leaseMs?: number;
}

function backendFromEnv(): JobBackend {
  const kind = env('MT_BACKEND');
  // A completion sent into the cut link waits for it to come back, rather than time out first.
  if (kind === 'redis') return new RedisClient(env('REDIS_URL'), { prefix: env('MT_PREFIX'), commandTimeoutMs: 60_000 });
  if (kind === 'rabbitmq') {
    return new RabbitMQClient({
      url: env('RABBITMQ_URL'),
      heartbeat: Number(env('MT_HEARTBEAT')),
      prefix: env('MT_PREFIX'),
      reconnectDelays: [100, 250, 500],
      jobStore: new RedisJobStateStore(env('STORE_URL'), { prefix: env('MT_PREFIX'), commandTimeoutMs: 60_000 }),
    });
  }
  throw new Error(`MT_BACKEND must be redis or rabbitmq, got ${kind}`);
}

/** Reports what the backend answered to each completion this worker asked for. */
function watchCompletions(backend: JobBackend): void {
  const outcome = async <T>(delivery: Delivery, completion: Promise<T>): Promise<T> => {
    try {
      const value = await completion;
      report({ type: 'complete-accepted', queue: delivery.queue, id: delivery.job.id, attempt: delivery.job.attempt, by: name });
      return value;
    } catch (err) {
      report({
        type: 'complete-refused',
        queue: delivery.queue,
        id: delivery.job.id,
        attempt: delivery.job.attempt,
        by: name,
        error: (err as Error).name,
      });
      throw err;
    }
  };
  const complete = backend.complete.bind(backend);
  backend.complete = (delivery, output) => outcome(delivery, complete(delivery, output));
  const completeAndFetch = backend.completeAndFetch?.bind(backend);
  if (completeAndFetch)
    backend.completeAndFetch = (delivery, output, options) => outcome(delivery, completeAndFetch(delivery, output, options));
}

const backend = backendFromEnv();
watchCompletions(backend);
const orchestrator = new Orchestrator(backend);

/** Declares the queue; a client still reconnecting after a partition says so with a transient error: try again. */
async function register(queue: string): Promise<void> {
  for (let tries = 1; ; tries++) {
    try {
      await orchestrator.register(taskSchema(queue));
      return;
    } catch (err) {
      if (!(err instanceof TransientBackendError) || tries === 50) throw err;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

async function consume({ queue, concurrency = 1, hold = false, leaseMs }: Command): Promise<void> {
  await register(queue);
  if (hold) holding.set(queue, []);
  const consumer = new FnConsumer(
    queue,
    async (job) => {
      report({ type: 'started', queue, id: job.id, label: job.payload.label, attempt: job.attempt, by: name });
      const waiting = holding.get(queue);
      if (waiting) {
        await new Promise<void>((resolve) => waiting.push(resolve));
        report({ type: 'finished', queue, id: job.id, by: name });
      }
      return { echoed: `${job.payload.label}@${name}` };
    },
    // A run taken from a worker that was cut off counts an attempt: room for the redelivery.
    { concurrency, attempts: 3, ...(leaseMs === undefined ? {} : { leaseMs }) },
  );
  consumer.on('completed', ({ job }) => report({ type: 'completed', queue, id: job.id, attempt: job.attempt, by: name }));
  consumer.connect(orchestrator);
  consumer.consume().catch(exitOnError);
  report({ type: 'consuming', queue });
}

function finish({ queue }: Command): void {
  const waiting = holding.get(queue) ?? [];
  holding.delete(queue);
  for (const resolve of waiting) resolve();
}

createInterface({ input: process.stdin }).on('line', (line) => {
  const command = JSON.parse(line) as Command;
  if (command.cmd === 'consume') consume(command).catch(exitOnError);
  else finish(command);
});
report({ type: 'ready' });
