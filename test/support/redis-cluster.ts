import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';

const HOW_TO_INSTALL =
  'The Redis Cluster tests start their own three-node cluster from the redis-server and redis-cli binaries. ' +
  'Install them (Debian/Ubuntu: apt-get install redis-server; macOS: brew install redis) so both are on PATH.';

/** A throwaway Redis Cluster of three masters, on local ports, with no persistence. */
export interface LocalRedisCluster {
  nodes: { host: string; port: number }[];
  /** A plain connection to one node, for looking at what lives where. */
  node(port: number): Redis;
  /** The port of the master serving `key`'s slot (CLUSTER KEYSLOT + CLUSTER SLOTS). */
  nodeOf(key: string): Promise<number>;
  /** Stops every node and removes their files. */
  stop(): Promise<void>;
}

/**
 * Starts three cluster-enabled redis-server processes (their files in a fresh tmp dir), joins them
 * with `redis-cli --cluster create` and waits until every node reports cluster_state:ok. Fails, never
 * skips, when the binaries are missing or no free ports are found.
 */
export async function startRedisCluster(): Promise<LocalRedisCluster> {
  for (const binary of ['redis-server', 'redis-cli']) {
    if (spawnSync(binary, ['--version']).status !== 0) throw new Error(`${binary} is not on PATH. ${HOW_TO_INSTALL}`);
  }
  const ports = await freePorts();
  const host = '127.0.0.1';
  const dir = mkdtempSync(join(tmpdir(), 'mindtrace-cluster-'));
  const processes: ChildProcess[] = [];
  const connections: Redis[] = [];
  const stop = async (): Promise<void> => {
    for (const c of connections.splice(0)) c.disconnect();
    await Promise.all(
      processes.splice(0).map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGKILL');
          }),
      ),
    );
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (const port of ports) {
      let stderr = '';
      const child = spawn(
        'redis-server',
        [
          '--port',
          String(port),
          '--bind',
          host,
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          join(dir, `nodes-${port}.conf`),
          '--dir',
          dir,
          '--save',
          '',
          '--appendonly',
          'no',
          '--daemonize',
          'no',
          '--loglevel',
          'warning',
        ],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
      child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.once('exit', (code) => {
        if (code !== 0 && code !== null) process.stderr.write(`redis-server on port ${port} exited with ${code}: ${stderr}\n`);
      });
      processes.push(child);
    }
    for (const port of ports) await waitUntil(`redis-server answers on port ${port}`, () => answers(host, port));
    const create = spawnSync(
      'redis-cli',
      ['--cluster', 'create', ...ports.map((p) => `${host}:${p}`), '--cluster-replicas', '0', '--cluster-yes'],
      {
        encoding: 'utf8',
        timeout: 20_000,
      },
    );
    if (create.status !== 0) throw new Error(`redis-cli --cluster create failed: ${create.stdout}${create.stderr}`);
    for (const port of ports) {
      const node = new Redis({ host, port, lazyConnect: false });
      connections.push(node);
      await waitUntil(`node ${port} reports cluster_state:ok`, async () => String(await node.cluster('INFO')).includes('cluster_state:ok'));
    }
  } catch (err) {
    await stop();
    throw err;
  }
  const byPort = new Map(ports.map((port, i) => [port, connections[i]]));
  const first = connections[0];
  return {
    nodes: ports.map((port) => ({ host, port })),
    node: (port) => byPort.get(port) as Redis,
    nodeOf: async (key) => {
      const slot = Number(await first.cluster('KEYSLOT', key));
      const ranges = await first.cluster('SLOTS');
      const range = ranges.find(([from, to]) => slot >= from && slot <= to);
      if (!range) throw new Error(`no node serves slot ${slot} of ${key}`);
      return Number(range[2][1]);
    },
    stop,
  };
}

/** Three ports (and their cluster bus ports, +10000) that nothing listens on, from 7101 up. */
async function freePorts(): Promise<number[]> {
  for (let base = 7101; base < 7700; base += 100) {
    const ports = [base, base + 1, base + 2];
    const busy = await Promise.all(ports.flatMap((p) => [answers('127.0.0.1', p), answers('127.0.0.1', p + 10_000)]));
    if (!busy.some(Boolean)) return ports;
  }
  throw new Error('no three free ports (with their cluster bus ports) between 7101 and 7700 for a test Redis Cluster');
}

function answers(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('error', () => done(false));
    socket.connect(port, host, () => done(true));
  });
}

/** Server start-up has no event to await: look every 50 ms, for at most 15 s. */
async function waitUntil(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`Timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
