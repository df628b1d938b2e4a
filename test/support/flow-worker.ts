/**
 * One process of the flow-control multi-process tests (flow-control-processes.ts), on Redis
 * (MT_BACKEND=redis: REDIS_URL, MT_PREFIX) or a file-backed LocalClient (MT_BACKEND=file: MT_PATH).
 * It starts once and takes commands, one JSON object a line on stdin, so each test pays for start-up once:
 * - `{ "cmd": "consume", "queue", "every"?, "concurrency"?, "rateLimit"? }`: with `every`, first calls
 *   schedule(queue, 'tick', { every }) as every process of an app does at start-up; then consumes the
 *   queue, reporting each run's start (this machine's clock) — "ready" once consuming;
 * - `{ "cmd": "pause" | "resume", "queue" }`: pauses or resumes the queue from here ("paused", "resumed");
 * - `{ "cmd": "stop", "queue" }`: stops consuming it ("stopped"); `{ "cmd": "exit" }`: closes and exits 0.
 * Every report names its queue.
 */
import 'reflect-metadata';
import { createInterface } from 'node:readline';
import { LocalClient, Orchestrator, RedisClient, type JobBackend, type RateLimit } from '../../lib';
import { FnConsumer, taskSchema } from '../conformance/conformance.fixtures';
import { env, exitOnError, report } from './child-report';

interface Command {
  cmd: 'consume' | 'pause' | 'resume' | 'stop' | 'exit';
  queue: string;
  every?: number;
  concurrency?: number;
  rateLimit?: RateLimit;
}

function backendFromEnv(): JobBackend {
  const kind = env('MT_BACKEND');
  if (kind === 'redis') return new RedisClient(env('REDIS_URL'), { prefix: env('MT_PREFIX') });
  if (kind === 'file') return new LocalClient({ path: env('MT_PATH') });
  throw new Error(`MT_BACKEND must be redis or file, got ${kind}`);
}

const name = env('MT_NAME');
const orchestrator = new Orchestrator(backendFromEnv());
const consuming = new Map<string, { consumer: FnConsumer; done: Promise<number> }>();

async function consume({ queue, every, concurrency = 1, rateLimit }: Command): Promise<void> {
  await orchestrator.register(taskSchema(queue));
  if (every !== undefined) {
    const info = await orchestrator.schedule(queue, 'tick', { every }, { label: 'tick' });
    report({ type: 'scheduled', queue, nextRunAt: info.nextRunAt.getTime() });
  }
  const consumer = new FnConsumer(
    queue,
    (job) => report({ type: 'ran', queue, id: job.id, label: job.payload.label, attempt: job.attempt, at: Date.now(), by: name }),
    { concurrency, rateLimit },
  );
  consumer.connect(orchestrator);
  const done = consumer.consume();
  done.catch(exitOnError);
  consuming.set(queue, { consumer, done });
  report({ type: 'ready', queue });
}

async function run(command: Command): Promise<void> {
  const { cmd, queue } = command;
  if (cmd === 'consume') return consume(command);
  if (cmd === 'pause' || cmd === 'resume') {
    await orchestrator[cmd](queue);
    return report({ type: cmd === 'pause' ? 'paused' : 'resumed', queue });
  }
  if (cmd === 'stop') {
    const running = consuming.get(queue);
    await running?.consumer.close();
    return report({ type: 'stopped', queue, ran: (await running?.done) ?? 0 });
  }
  await orchestrator.close();
  process.exit(0);
}

createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.trim()) run(JSON.parse(line) as Command).catch(exitOnError);
});
report({ type: 'started' });
