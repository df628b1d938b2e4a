/**
 * A worker process of the partition tests (test/scale/partition.*.spec.ts), run inside a network
 * namespace of netns-kit.ts. It consumes MT_QUEUE on Redis (MT_BACKEND=redis: REDIS_URL, MT_PREFIX,
 * MT_LEASE_MS) or RabbitMQ (MT_BACKEND=rabbitmq: RABBITMQ_URL, MT_HEARTBEAT, and a RedisJobStateStore
 * on STORE_URL), reporting each run's start, the outcome of each completion it asks the backend for
 * (accepted, or refused with the error's name) and each `completed` event. A run returns
 * `{ echoed: "<label>@<MT_NAME>" }`, so the job state tells which worker's completion it kept.
 * With MT_HOLD=1 every run waits for the command `{ "cmd": "finish" }` on stdin (stdin is a pipe, not
 * the network: it reaches a worker that is cut off); after that, runs return at once. With MT_WAIT=1
 * it consumes only once told `{ "cmd": "consume" }`, so the test decides which worker takes jobs first.
 */
import 'reflect-metadata';
import { createInterface } from 'node:readline';
import { Orchestrator, RabbitMQClient, RedisClient, RedisJobStateStore, type Delivery, type JobBackend } from '../../lib';
import { FnConsumer, taskSchema } from '../conformance/conformance.fixtures';
import { env, exitOnError, report } from './child-report';

const name = env('MT_NAME');
const queue = env('MT_QUEUE');
const concurrency = Number(process.env.MT_CONCURRENCY ?? '1');
let holding = process.env.MT_HOLD === '1';
const held: (() => void)[] = [];

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
      report({ type: 'complete-accepted', id: delivery.job.id, attempt: delivery.job.attempt, by: name });
      return value;
    } catch (err) {
      report({ type: 'complete-refused', id: delivery.job.id, attempt: delivery.job.attempt, by: name, error: (err as Error).name });
      throw err;
    }
  };
  const complete = backend.complete.bind(backend);
  backend.complete = (delivery, output) => outcome(delivery, complete(delivery, output));
  const completeAndFetch = backend.completeAndFetch?.bind(backend);
  if (completeAndFetch)
    backend.completeAndFetch = (delivery, output, options) => outcome(delivery, completeAndFetch(delivery, output, options));
}

async function main(): Promise<void> {
  const backend = backendFromEnv();
  watchCompletions(backend);
  const orchestrator = new Orchestrator(backend);
  await orchestrator.register(taskSchema(queue));
  const leaseMs = process.env.MT_LEASE_MS ? Number(process.env.MT_LEASE_MS) : undefined;
  const consumer = new FnConsumer(
    queue,
    async (job) => {
      report({ type: 'started', id: job.id, label: job.payload.label, attempt: job.attempt, by: name });
      if (holding) {
        await new Promise<void>((resolve) => held.push(resolve));
        report({ type: 'finished', id: job.id, by: name });
      }
      return { echoed: `${job.payload.label}@${name}` };
    },
    // A run taken from a worker that was cut off counts an attempt: room for the redelivery.
    { concurrency, attempts: 3, ...(leaseMs === undefined ? {} : { leaseMs }) },
  );
  consumer.on('completed', ({ job }) => report({ type: 'completed', id: job.id, attempt: job.attempt, by: name }));
  consumer.connect(orchestrator);
  const consume = (): void => {
    consumer.consume().catch(exitOnError);
    report({ type: 'consuming' });
  };
  if (process.env.MT_WAIT !== '1') consume();
  report({ type: 'ready' });

  createInterface({ input: process.stdin }).on('line', (line) => {
    const { cmd } = JSON.parse(line) as { cmd: string };
    if (cmd === 'consume') return consume();
    if (cmd !== 'finish') return;
    holding = false;
    for (const resolve of held.splice(0)) resolve();
  });
}

main().catch(exitOnError);
