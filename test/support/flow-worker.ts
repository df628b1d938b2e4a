/**
 * One process of the flow-control multi-process tests (flow-control-processes.ts), on Redis
 * (MT_BACKEND=redis: REDIS_URL, MT_PREFIX) or a file-backed LocalClient (MT_BACKEND=file: MT_PATH).
 * With MT_EVERY it first calls schedule(MT_QUEUE, 'tick', { every: MT_EVERY }), as every process of an
 * app does at start-up. Unless MT_CONSUME=0 it consumes MT_QUEUE (MT_CONCURRENCY, and a rate limit of
 * MT_RATE_MAX per MT_RATE_INTERVAL ms when given), reporting each run's start with this process's clock.
 * Lines on stdin: "pause" / "resume" pause or resume the queue from here, "stop" closes and exits.
 */
import 'reflect-metadata';
import { createInterface } from 'node:readline';
import { LocalClient, Orchestrator, RedisClient, type ConsumerOptions, type JobBackend } from '../../lib';
import { FnConsumer, taskSchema } from '../conformance/conformance.fixtures';
import { rateLimited } from '../conformance/flow-control.fixtures';
import { env, exitOnError, report } from './child-report';

function backendFromEnv(): JobBackend {
  const kind = env('MT_BACKEND');
  if (kind === 'redis') return new RedisClient(env('REDIS_URL'), { prefix: env('MT_PREFIX') });
  if (kind === 'file') return new LocalClient({ path: env('MT_PATH') });
  throw new Error(`MT_BACKEND must be redis or file, got ${kind}`);
}

async function main(): Promise<void> {
  const queue = env('MT_QUEUE');
  const name = env('MT_NAME');
  const orchestrator = new Orchestrator(backendFromEnv());
  await orchestrator.register(taskSchema(queue));

  if (process.env.MT_EVERY) {
    const info = await orchestrator.schedule(queue, 'tick', { every: Number(process.env.MT_EVERY) }, { label: 'tick' });
    report({ type: 'scheduled', nextRunAt: info.nextRunAt.getTime() });
  }

  let consuming: Promise<number> = Promise.resolve(0);
  if (process.env.MT_CONSUME !== '0') {
    const options: ConsumerOptions = { concurrency: Number(process.env.MT_CONCURRENCY ?? '1') };
    const limited = process.env.MT_RATE_MAX
      ? rateLimited({ max: Number(process.env.MT_RATE_MAX), intervalMs: Number(env('MT_RATE_INTERVAL')) }, options)
      : options;
    const consumer = new FnConsumer(
      queue,
      (job) => report({ type: 'ran', id: job.id, label: job.payload.label, attempt: job.attempt, at: Date.now(), by: name }),
      limited,
    );
    consumer.connect(orchestrator);
    consuming = consumer.consume();
    consuming.catch(exitOnError);
  }
  report({ type: 'ready' });

  createInterface({ input: process.stdin }).on('line', (line) => {
    const command = line.trim();
    if (command === 'pause' || command === 'resume') {
      orchestrator[command](queue)
        .then(() => report({ type: command === 'pause' ? 'paused' : 'resumed' }))
        .catch(exitOnError);
    } else if (command === 'stop') {
      orchestrator
        .close()
        .then(async () => {
          report({ type: 'stopped', ran: await consuming });
          process.exit(0);
        })
        .catch(exitOnError);
    }
  });
}

main().catch(exitOnError);
