import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem, type as osType, release } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import amqp from 'amqplib';
import { quickRedis } from './systems/servers';

/** The machine and servers the results came from, recorded with them. */
export interface MachineInfo {
  cpu: string;
  cores: number;
  memoryGb: number;
  os: string;
  node: string;
  redis: string | null;
  rabbitmq: string | null;
  /** Versions of the client libraries measured. */
  libraries: Record<string, string | null>;
  /** 1-minute load average when the run started (it lags: it still counts what ran a minute ago). */
  loadAverageAtStart: number;
  /** Share of all cores busy in the second before the run: well above 0 means something else is running. */
  cpuBusyAtStartPercent: number | null;
}

export async function describeMachine(redisUrl: string, amqpUrl: string): Promise<MachineInfo> {
  const busy = await cpuBusyPercent(1000);
  const [redis, rabbitmq] = await Promise.all([redisVersion(redisUrl), rabbitmqVersion(amqpUrl)]);
  const cpuList = cpus();
  return {
    cpu: cpuList[0]?.model.trim() ?? 'unknown',
    cores: cpuList.length,
    memoryGb: Math.round(totalmem() / 2 ** 30),
    os: `${osType()} ${release()}`,
    node: process.version,
    redis,
    rabbitmq,
    libraries: Object.fromEntries(
      ['bullmq', 'bee-queue', 'ioredis', 'amqplib', 'class-validator', 'class-transformer'].map((name) => [name, packageVersion(name)]),
    ),
    loadAverageAtStart: Math.round(loadavg()[0] * 100) / 100,
    cpuBusyAtStartPercent: busy,
  };
}

/** How busy all cores were over `ms`, from /proc/stat; null where there is none. */
async function cpuBusyPercent(ms: number): Promise<number | null> {
  const read = (): { idle: number; total: number } | null => {
    try {
      const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
      return { idle: fields[3] + (fields[4] ?? 0), total: fields.reduce((a, b) => a + b, 0) };
    } catch {
      return null;
    }
  };
  const before = read();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const after = read();
  if (!before || !after || after.total === before.total) return null;
  return Math.round(100 * (1 - (after.idle - before.idle) / (after.total - before.total)));
}

/** "Redis 7.0.15", from INFO server; null if Redis does not answer. */
async function redisVersion(url: string): Promise<string | null> {
  const redis = quickRedis(url);
  try {
    await redis.connect();
    const info = await redis.info('server');
    return `Redis ${/redis_version:(\S+)/.exec(info)?.[1] ?? '?'}`;
  } catch {
    return null;
  } finally {
    redis.disconnect();
  }
}

/** "RabbitMQ 3.12.1 (Erlang …)", from the server properties of the connection; null if it does not answer. */
async function rabbitmqVersion(url: string): Promise<string | null> {
  try {
    const connection = await amqp.connect(url, { timeout: 3000 });
    const properties = connection.connection.serverProperties as unknown as Record<string, unknown>;
    await connection.close();
    const platform = typeof properties.platform === 'string' ? ` (${properties.platform})` : '';
    return `${String(properties.product ?? 'RabbitMQ')} ${String(properties.version ?? '?')}${platform}`;
  } catch {
    return null;
  }
}

function packageVersion(name: string): string | null {
  try {
    return (
      (JSON.parse(readFileSync(join(__dirname, '..', 'node_modules', name, 'package.json'), 'utf8')) as { version?: string }).version ??
      null
    );
  } catch {
    return null;
  }
}

/** What redis-benchmark measured for plain commands: the server's own ceiling on this machine. */
export interface RedisBenchmarkFigure {
  command: string;
  requestsPerSec: number;
}

/**
 * Runs redis-benchmark (if installed) for LPUSH and RPOP on one key of this run, 50 clients, no
 * pipelining; deletes the key after. null when it is not installed or fails.
 */
export async function runRedisBenchmark(redisUrl: string, key: string, requests: number): Promise<RedisBenchmarkFigure[] | null> {
  const url = new URL(redisUrl);
  const base = ['-h', url.hostname, '-p', url.port || '6379', '-q', '-n', String(requests), '-c', '50'];
  if (url.password) base.push('-a', decodeURIComponent(url.password));
  if (url.pathname.length > 1) base.push('--dbnum', url.pathname.slice(1));
  const run = promisify(execFile);
  const figures: RedisBenchmarkFigure[] = [];
  try {
    for (const command of [
      ['LPUSH', key, 'x'.repeat(100)],
      ['RPOP', key],
    ]) {
      const { stdout } = await run('redis-benchmark', [...base, ...command], { timeout: 60_000 });
      const rps = /([\d.]+) requests per second/.exec(stdout.replace(/\r/g, '\n'))?.[1];
      if (rps) figures.push({ command: command[0], requestsPerSec: Number(rps) });
    }
    return figures;
  } catch {
    return null;
  } finally {
    const redis = quickRedis(redisUrl);
    await redis
      .connect()
      .then(() => redis.del(key))
      .catch(() => undefined);
    redis.disconnect();
  }
}
