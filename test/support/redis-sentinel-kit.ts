import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';

const HOW_TO_INSTALL =
  'The Redis Sentinel tests start their own primary, replica and three sentinels from the redis-server binary ' +
  '(`redis-server --sentinel`). Install it (Debian/Ubuntu: apt-get install redis-server; macOS: brew install redis).';

const HOST = '127.0.0.1';
/** How long start-up may take before the kit gives up and says which step hung. */
const START_GUARD_MS = 30_000;

export interface RedisAddress {
  host: string;
  port: number;
}

/** A throwaway Redis primary, one replica and three sentinels watching them, on local ports, with no persistence. */
export interface LocalRedisSentinel {
  /** The name the sentinels monitor the primary under (ioredis's `name` option). */
  name: string;
  primary: RedisAddress;
  replica: RedisAddress;
  /** The three sentinels, in the shape ioredis's `sentinels` option takes. */
  sentinels: RedisAddress[];
  /** How long startRedisSentinel took, from the first spawn to sentinels that know the replica and each other. */
  startupMs: number;
  /** A plain connection to one server (primary, replica or sentinel), closed by stop(). */
  node(port: number): Redis;
  /**
   * Resolves with the new primary at the next +switch-master any sentinel announces for `name`. Call it
   * before causing the failover, so the event cannot pass unseen.
   */
  nextSwitch(): Promise<RedisAddress>;
  /** SIGKILLs the server on `port` and resolves once it has exited. */
  kill(port: number): Promise<void>;
  /** Kills every process and removes their files. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Starts a primary and a replica (redis-server, no persistence), waits until the replica has synced,
 * then three sentinels (quorum 2, down after 1 s, failover timeout 5 s) and waits until each one knows
 * the replica and the two other sentinels. Fails, never skips, when redis-server is missing.
 */
export async function startRedisSentinel(name = 'mymaster'): Promise<LocalRedisSentinel> {
  if (spawnSync('redis-server', ['--version']).status !== 0) throw new Error(`redis-server is not on PATH. ${HOW_TO_INSTALL}`);
  const began = Date.now();
  const base = await freeBlock();
  const primary = { host: HOST, port: base };
  const replica = { host: HOST, port: base + 1 };
  const sentinels = [2, 3, 4].map((i) => ({ host: HOST, port: base + i }));
  const dir = mkdtempSync(join(tmpdir(), 'mindtrace-sentinel-'));
  const processes = new Map<number, ChildProcess>();
  const connections = new Map<number, Redis>();
  const subscribers: Redis[] = [];
  const switchWaiters: ((to: RedisAddress) => void)[] = [];

  const startServer = (port: number, args: string[]): void => {
    let output = '';
    const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (chunk: Buffer): void => void (output = (output + chunk.toString()).slice(-4000));
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.once('exit', (code) => {
      if (code !== 0 && code !== null) process.stderr.write(`redis-server on port ${port} exited with ${code}: ${output}\n`);
    });
    processes.set(port, child);
  };
  const node = (port: number): Redis => {
    let connection = connections.get(port);
    if (!connection) {
      connection = new Redis({ host: HOST, port, maxRetriesPerRequest: 1, retryStrategy: () => null });
      connection.on('error', () => undefined); // a killed server's connection errors; the test asked for that
      connections.set(port, connection);
    }
    return connection;
  };
  const kill = async (port: number): Promise<void> => {
    const child = processes.get(port);
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  };

  // A test process that dies without calling stop() must not leave five servers behind.
  const killAllNow = (): void => {
    for (const child of processes.values()) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  process.once('exit', killAllNow);
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    process.removeListener('exit', killAllNow);
    // A connection to a killed server has already ended; disconnecting it again would arm a 2 s timer in ioredis.
    for (const c of [...subscribers, ...connections.values()]) if (c.status !== 'end') c.disconnect();
    await Promise.all([...processes.keys()].map(kill));
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    // No sync delay: a primary otherwise waits 5 s for more replicas before its first diskless transfer.
    const server = ['--bind', HOST, '--save', '', '--appendonly', 'no', '--repl-diskless-sync-delay', '0', '--dir', dir];
    server.push('--daemonize', 'no', '--loglevel', 'warning');
    startServer(primary.port, ['--port', String(primary.port), ...server]);
    startServer(replica.port, ['--port', String(replica.port), ...server, '--replicaof', HOST, String(primary.port)]);
    for (const { port } of [primary, replica]) await untilAnswers(port);
    // WAIT blocks on the primary until the replica has synced and acknowledged its offset.
    const synced = await node(primary.port).wait(1, START_GUARD_MS);
    if (synced !== 1) throw new Error(`the replica on port ${replica.port} did not sync with the primary on ${primary.port}`);

    for (const { port } of sentinels) {
      const config = join(dir, `sentinel-${port}.conf`);
      // Sentinel rewrites its config file as it learns, so each one gets its own writable file.
      writeFileSync(
        config,
        [
          `port ${port}`,
          `bind ${HOST}`,
          `dir ${dir}`,
          `sentinel monitor ${name} ${HOST} ${primary.port} 2`,
          `sentinel down-after-milliseconds ${name} 1000`,
          `sentinel failover-timeout ${name} 5000`,
          `sentinel parallel-syncs ${name} 1`,
          '',
        ].join('\n'),
      );
      startServer(port, [config, '--sentinel', '--daemonize', 'no', '--loglevel', 'warning']);
    }
    for (const { port } of sentinels) await untilAnswers(port);
    await Promise.all(
      sentinels.map(async ({ port }) => {
        const subscriber = new Redis({ host: HOST, port, maxRetriesPerRequest: 1, retryStrategy: () => null });
        subscriber.on('error', () => undefined);
        subscribers.push(subscriber);
        subscriber.on('pmessage', (_pattern: string, channel: string, message: string) => {
          if (channel !== '+switch-master') return;
          const [master, , , toHost, toPort] = message.split(' ');
          if (master === name) for (const resolve of switchWaiters.splice(0)) resolve({ host: toHost, port: Number(toPort) });
        });
        await subscriber.psubscribe('*');
        await guarded(`sentinel ${port} to see the replica and two other sentinels`, () =>
          untilEvent(subscriber, async () => {
            const sentinel = node(port);
            const replicas = (await sentinel.call('SENTINEL', 'REPLICAS', name)) as string[][];
            const peers = (await sentinel.call('SENTINEL', 'SENTINELS', name)) as string[][];
            const flags = replicas.map((fields) => fields[fields.indexOf('flags') + 1]);
            return flags.length === 1 && flags[0] === 'slave' && peers.length === 2;
          }),
        );
      }),
    );
  } catch (err) {
    await stop();
    throw err;
  }

  return {
    name,
    primary,
    replica,
    sentinels,
    startupMs: Date.now() - began,
    node,
    nextSwitch: () => new Promise((resolve) => switchWaiters.push(resolve)),
    kill,
    stop,
  };
}

/** Resolves once `check` holds: now, or after one of the events sentinel publishes as it learns (+slave, +sentinel…). */
function untilEvent(subscriber: Redis, check: () => Promise<boolean>): Promise<void> {
  return new Promise((resolve, reject) => {
    let checking = false;
    let again = false;
    const attempt = async (): Promise<void> => {
      if (checking) return void (again = true);
      checking = true;
      try {
        do {
          again = false;
          if (await check()) {
            subscriber.off('pmessage', attempt);
            return resolve();
          }
        } while (again);
      } catch (err) {
        subscriber.off('pmessage', attempt);
        reject(err as Error);
      } finally {
        checking = false;
      }
    };
    subscriber.on('pmessage', attempt);
    void attempt();
  });
}

async function guarded<T>(what: string, task: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Timed out after ${START_GUARD_MS} ms waiting for ${what}`)), START_GUARD_MS);
  });
  try {
    return await Promise.race([task(), hang]);
  } finally {
    clearTimeout(timer);
  }
}

/** Server start-up has no event to await: try to connect every 50 ms, for at most START_GUARD_MS. */
async function untilAnswers(port: number): Promise<void> {
  const deadline = Date.now() + START_GUARD_MS;
  while (!(await answers(port))) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${START_GUARD_MS} ms waiting for port ${port} to answer`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Five ports (primary, replica, three sentinels) that nothing listens on, from 7350 up. */
async function freeBlock(): Promise<number> {
  for (let base = 7350; base < 7400; base += 10) {
    const busy = await Promise.all([0, 1, 2, 3, 4].map((i) => answers(base + i)));
    if (!busy.some(Boolean)) return base;
  }
  throw new Error('no five free ports between 7350 and 7400 for a test Redis Sentinel setup');
}

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('error', () => done(false));
    socket.connect(port, HOST, () => done(true));
  });
}
