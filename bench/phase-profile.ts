/**
 * One timed phase of one system, measured alone: what a job costs, and where. For the analyses behind
 * issue 17, where jobs/s on a shared machine mislead and a whole-run `--cpu-prof` mixes the untimed
 * preload and check in with the phase. Usage:
 *
 *   node -r ts-node/register/transpile-only bench/phase-profile.ts <system> consume <concurrency> <jobs> [profile.cpuprofile]
 *   node -r ts-node/register/transpile-only bench/phase-profile.ts <system> publish <batchSize> <jobs> [profile.cpuprofile]
 *
 * Prints, per job: the process's CPU (and its main thread's alone, from /proc), redis-server's CPU
 * (INFO cpu), the RabbitMQ node's CPU (/proc), and every Redis command's calls and usec (INFO
 * commandstats). commandstats are server-wide, and commands run by a script are counted both on their
 * own and in the script's usec: point `REDIS_URL` at a private server (`redis-server --port 6391
 * --save ''`). With a profile path, the V8 profile covers the phase only (summarize it with
 * profile-summary.ts); the profiler costs CPU itself, so take CPU figures from runs without one.
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import Redis from 'ioredis';
import { makeJobs, paddingFor } from './bench-job';
import { SYSTEM_NAMES, loadSystem, type SystemName } from './systems';

const USER_HZ = 100;
const PRELOAD_BATCH = 250;

interface CommandStat {
  calls: number;
  usec: number;
}

/** CPU ms of a process or thread from its /proc stat file (utime + stime). */
function procCpuMs(statPath: string): number {
  const stat = readFileSync(statPath, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) / USER_HZ) * 1000;
}

/** The RabbitMQ node's Erlang VM on this machine, if it runs here. */
function rabbitPid(): number | null {
  for (const entry of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (cmdline.includes('beam') && cmdline.includes('rabbit') && cmdline.includes('boot')) return Number(entry);
    } catch {
      // The process ended while we looked.
    }
  }
  return null;
}

async function redisSnapshot(redis: Redis): Promise<{ cpuMs: number; commands: Map<string, CommandStat> }> {
  const cpu = await redis.info('cpu');
  const stats = await redis.info('commandstats');
  const user = Number(/used_cpu_user:([\d.]+)/.exec(cpu)?.[1]);
  const sys = Number(/used_cpu_sys:([\d.]+)/.exec(cpu)?.[1]);
  const commands = new Map<string, CommandStat>();
  for (const m of stats.matchAll(/^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/gm))
    commands.set(m[1], { calls: Number(m[2]), usec: Number(m[3]) });
  return { cpuMs: (user + sys) * 1000, commands };
}

async function main(): Promise<void> {
  const [systemName, phase, sizeArg, jobsArg, profilePath] = process.argv.slice(2);
  const size = Number(sizeArg);
  const jobs = Number(jobsArg);
  if (!SYSTEM_NAMES.includes(systemName as SystemName) || !['consume', 'publish'].includes(phase) || !(size > 0) || !(jobs > 0)) {
    process.stderr.write('usage: phase-profile.ts <system> consume|publish <concurrency|batchSize> <jobs> [profile.cpuprofile]\n');
    process.exit(2);
  }
  const context = {
    runId: `phase-${Date.now()}`,
    redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    amqpUrl: process.env.RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672',
  };
  const system = await loadSystem(systemName as SystemName);
  const queue = await system.open(`bench-${context.runId}`, context);
  const padding = paddingFor(128);
  const redis = new Redis(context.redisUrl);
  const beam = rabbitPid();
  let ran = 0;
  let allRan!: () => void;
  const everyJobRan = new Promise<void>((resolve) => (allRan = resolve));
  const handlers = {
    onJob: () => void (++ran === jobs && allRan()),
    // A lost or failed job makes every figure meaningless: stop at once.
    onError: (error: Error) => {
      process.stderr.write(`${systemName}: ${error.message}\n`);
      process.exit(1);
    },
  };
  if (phase === 'consume')
    for (let n = 0; n < jobs; n += PRELOAD_BATCH) await queue.publishBatch(makeJobs(n, Math.min(PRELOAD_BATCH, jobs - n), 0, padding));

  const session = new Session();
  session.connect();
  if (profilePath) {
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 200 });
  }
  const redisFrom = await redisSnapshot(redis);
  const beamFrom = beam ? procCpuMs(`/proc/${beam}/stat`) : 0;
  const mainFrom = procCpuMs(`/proc/self/task/${process.pid}/stat`);
  const clientFrom = process.cpuUsage();
  const startedAt = performance.now();
  if (profilePath) await session.post('Profiler.start');
  let consumers = phase === 'consume' ? await queue.consume(size, handlers) : null;
  if (consumers) await everyJobRan;
  else for (let n = 0; n < jobs; n += size) await queue.publishBatch(makeJobs(n, Math.min(size, jobs - n), 0, padding));
  const profile = profilePath ? (await session.post('Profiler.stop')).profile : null;
  const seconds = (performance.now() - startedAt) / 1000;
  const client = process.cpuUsage(clientFrom);
  const mainMs = procCpuMs(`/proc/self/task/${process.pid}/stat`) - mainFrom;
  const beamMs = beam ? procCpuMs(`/proc/${beam}/stat`) - beamFrom : null;
  const redisTo = await redisSnapshot(redis);
  if (profilePath) writeFileSync(profilePath, JSON.stringify(profile));

  const perJob = (ms: number) => Number(((ms * 1000) / jobs).toFixed(1));
  const commands: Record<string, string> = {};
  for (const [name, to] of redisTo.commands) {
    const from = redisFrom.commands.get(name) ?? { calls: 0, usec: 0 };
    if (to.calls > from.calls && name !== 'info')
      commands[name] = `${((to.calls - from.calls) / jobs).toFixed(3)} calls, ${((to.usec - from.usec) / jobs).toFixed(2)} us`;
  }
  process.stdout.write(
    `${JSON.stringify(
      {
        system: systemName,
        phase,
        size,
        jobs,
        jobsPerSec: Math.round(jobs / seconds),
        usPerJob: {
          client: perJob((client.user + client.system) / 1000),
          clientMainThread: perJob(mainMs),
          clientSystem: perJob(client.system / 1000),
          redis: perJob(redisTo.cpuMs - redisFrom.cpuMs),
          rabbitmq: beamMs === null ? null : perJob(beamMs),
        },
        redisCommandsPerJob: commands,
      },
      null,
      1,
    )}\n`,
  );

  // Untimed: a publish phase's jobs are consumed, so the teardown leaves nothing behind unchecked.
  if (!consumers) {
    ran = 0;
    const drained = new Promise<void>((resolve) => (allRan = resolve));
    consumers = await queue.consume(50, handlers);
    await drained;
  }
  await consumers.drain();
  await queue.teardown();
  redis.disconnect();
}

main().then(
  () => process.exit(0),
  (error: Error) => {
    process.stderr.write(`${error.stack ?? error.message}\n`);
    process.exit(1);
  },
);
