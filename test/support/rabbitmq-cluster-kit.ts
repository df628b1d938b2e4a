import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

const HOW_TO_INSTALL =
  'The RabbitMQ cluster tests start their own three nodes from the rabbitmq-server and rabbitmqctl scripts (and Erlang). ' +
  'Install them (Debian/Ubuntu: apt-get install rabbitmq-server; macOS: brew install rabbitmq), or point RABBITMQ_SBIN ' +
  'at the folder that holds both scripts.';

/** Debian's /usr/sbin scripts are wrappers that switch to the rabbitmq user and its home; the real ones live here. */
const DEBIAN_SBIN = '/usr/lib/rabbitmq/bin';

/** What rabbitmq-server prints on stdout once the broker has started ("Starting broker... completed with 0 plugins."). */
const BOOTED = /Starting broker\.\.\. completed with \d+ plugins/;
const BOOT_GUARD_MS = 90_000;

/** One node of the kit's cluster. */
export interface RabbitMQClusterNode {
  /** Erlang node name, e.g. mt-scale-5681@localhost. */
  name: string;
  /** AMQP port on 127.0.0.1. */
  port: number;
  /** amqp://guest:guest@127.0.0.1:<port> */
  url: string;
}

/** A throwaway three-node RabbitMQ cluster on local ports, beside (never touching) the machine's own broker. */
export interface LocalRabbitMQCluster {
  nodes: RabbitMQClusterNode[];
  /** How long startRabbitMQCluster took (ms): booting three nodes side by side, joining two, and in all. */
  startup: { boot: number; join: number; total: number };
  /** Runs `rabbitmqctl -n <node i> …args` with the cluster's cookie; resolves with its stdout. */
  rabbitmqctl(i: number, args: string[]): Promise<string>;
  /** Names of the running cluster members, as node `via` reports them (cluster_status). */
  runningNodes(via: number): Promise<string[]>;
  /** Index of the node leading quorum queue `queue`, asked of node `via`. */
  queueLeader(queue: string, via: number): Promise<number>;
  /** Stops node i cleanly (rabbitmqctl stop) and resolves once its OS process has exited. */
  stopNode(i: number): Promise<void>;
  /** SIGKILLs node i's whole process group (shell and Erlang VM) and resolves once it has exited. */
  killNode(i: number): Promise<void>;
  /** Boots a stopped or killed node i again; resolves once the cluster reports three running nodes. */
  startNode(i: number): Promise<void>;
  /** Kills every node and removes their files. Safe to call twice. */
  stop(): Promise<void>;
}

interface NodeProcess {
  node: RabbitMQClusterNode;
  env: NodeJS.ProcessEnv;
  child?: ChildProcess;
  exited?: Promise<void>;
  output: string;
}

/**
 * Starts three rabbitmq-server nodes (own node names, AMQP and distribution ports, data and logs in a
 * fresh tmp dir, a shared cookie, no plugins), joins the second and third to the first with
 * stop_app / join_cluster / start_app, and waits until cluster_status lists three running nodes.
 * Fails, never skips, when RabbitMQ is not installed or no free ports are found.
 */
export async function startRabbitMQCluster(): Promise<LocalRabbitMQCluster> {
  const began = Date.now();
  const sbin = rabbitmqSbin();
  const base = await freeBlock();
  const dir = mkdtempSync(join(tmpdir(), 'mindtrace-rabbit-cluster-'));
  const home = join(dir, 'home');
  mkdirSync(home);
  // Erlang reads the cookie from $HOME: one private home for the nodes and the CLI keeps the machine's cookie out of it.
  writeFileSync(join(home, '.erlang.cookie'), `MINDTRACESCALEKIT${base}`, { mode: 0o400 });
  writeFileSync(join(dir, 'enabled_plugins'), '[].\n');
  writeFileSync(join(dir, 'rabbitmq-env.conf'), '');

  const nodes: NodeProcess[] = [0, 1, 2].map((i) => {
    const port = base + i;
    const name = `mt-scale-${port}@localhost`;
    const config = join(dir, `${name}.conf`);
    writeFileSync(config, `listeners.tcp.1 = 127.0.0.1:${port}\nlog.console = false\nlog.file.level = info\n`);
    return {
      node: { name, port, url: `amqp://guest:guest@127.0.0.1:${port}` },
      output: '',
      env: {
        ...inheritedEnv(),
        HOME: home,
        RABBITMQ_NODENAME: name,
        RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
        RABBITMQ_NODE_PORT: String(port),
        RABBITMQ_DIST_PORT: String(port + 20_000),
        // CLI tools get their own distribution ports, inside the block freeBlock() checked.
        RABBITMQ_CTL_DIST_PORT_MIN: String(base + 20_003),
        RABBITMQ_CTL_DIST_PORT_MAX: String(base + 20_009),
        // Not /etc/rabbitmq: the machine's env file names its own node and its config opens 5672.
        RABBITMQ_CONF_ENV_FILE: join(dir, 'rabbitmq-env.conf'),
        RABBITMQ_CONFIG_FILE: config,
        RABBITMQ_ADVANCED_CONFIG_FILE: join(dir, 'advanced.config'),
        RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
        RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
        RABBITMQ_LOG_BASE: join(dir, 'log'),
        // Three VMs share CI's two cores: schedulers that busy-wait would starve each other and the test.
        RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: '-kernel inet_dist_use_interface {127,0,0,1} +sbwt none +sbwtdcpu none +sbwtdio none',
        ERL_EPMD_ADDRESS: '127.0.0.1',
      },
    };
  });

  const ctl = async (i: number, args: string[], timeoutMs = 60_000): Promise<string> => {
    const { node, env } = nodes[i];
    try {
      const { stdout } = await run(join(sbin, 'rabbitmqctl'), ['-n', node.name, ...args], { env, timeout: timeoutMs });
      return stdout;
    } catch (err) {
      const failure = err as { stdout?: string; stderr?: string; message: string };
      throw new Error(`rabbitmqctl -n ${node.name} ${args.join(' ')} failed: ${failure.stderr || failure.stdout || failure.message}`, {
        cause: err,
      });
    }
  };

  const boot = (i: number): Promise<void> => {
    const proc = nodes[i];
    proc.output = '';
    const child = spawn(join(sbin, 'rabbitmq-server'), [], { env: proc.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    proc.child = child;
    proc.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    return new Promise<void>((resolve, reject) => {
      const fail = (why: string): void => reject(new Error(`${proc.node.name} ${why}:\n${proc.output}\n${logTail(dir, proc.node.name)}`));
      const guard = setTimeout(() => fail(`did not finish booting in ${BOOT_GUARD_MS} ms`), BOOT_GUARD_MS);
      // The server prints this line once the broker and its listeners are up: a CLI VM polling for it would cost a core-second.
      const keep = (chunk: Buffer): void => {
        proc.output = (proc.output + chunk.toString()).slice(-4000);
        if (!BOOTED.test(proc.output)) return;
        clearTimeout(guard);
        resolve();
      };
      child.stdout?.on('data', keep);
      child.stderr?.on('data', keep);
      child.once('exit', (code, signal) => {
        clearTimeout(guard);
        fail(`exited (${code ?? signal}) while booting`); // a no-op once booted
      });
    });
  };

  const kill = async (i: number): Promise<void> => {
    const { child, exited } = nodes[i];
    if (!child?.pid || child.exitCode !== null || child.signalCode !== null) return;
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
    await exited;
  };

  const runningNodes = async (via: number): Promise<string[]> => {
    const status = JSON.parse(await ctl(via, ['cluster_status', '--formatter', 'json'])) as { running_nodes: string[] };
    return status.running_nodes.sort();
  };

  const everyone = nodes.map((n) => n.node.name).sort();
  // Blocks in the broker until the cluster has three running members (what cluster_status lists as running_nodes).
  const awaitThreeRunning = async (via: number): Promise<void> => {
    await ctl(via, ['await_online_nodes', '3', '--timeout', '60000'], 70_000);
  };

  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    process.removeListener('exit', killAllNow);
    // The data is throwaway: SIGKILL spares the seconds a clean `rabbitmqctl stop` takes per node.
    await Promise.all(nodes.map((_, i) => kill(i)));
    rmSync(dir, { recursive: true, force: true });
  };
  // A test process that dies without calling stop() must not leave three brokers behind.
  const killAllNow = (): void => {
    for (const { child } of nodes) if (child?.pid && child.exitCode === null) tryKillGroup(child.pid);
  };
  process.once('exit', killAllNow);

  const startup = { boot: 0, join: 0, total: 0 };
  try {
    await Promise.all(nodes.map((_, i) => boot(i)));
    startup.boot = Date.now() - began;
    // Each rabbitmqctl call is a VM of its own (about a second of CPU): stop and start both joiners side by
    // side; the joins themselves go one at a time, as the clustering guide does them.
    await Promise.all([1, 2].map((i) => ctl(i, ['stop_app'])));
    for (const i of [1, 2]) await ctl(i, ['join_cluster', nodes[0].node.name]);
    await Promise.all([1, 2].map((i) => ctl(i, ['start_app'])));
    await awaitThreeRunning(0);
    startup.total = Date.now() - began;
    startup.join = startup.total - startup.boot;
  } catch (err) {
    await stop();
    throw err;
  }

  const indexOf = (name: string): number => {
    const i = nodes.findIndex((n) => n.node.name === name);
    if (i < 0) throw new Error(`${name} is not a node of this cluster (${everyone.join(', ')})`);
    return i;
  };

  return {
    nodes: nodes.map((n) => n.node),
    startup,
    rabbitmqctl: (i, args) => ctl(i, args),
    runningNodes,
    queueLeader: async (queue, via) => {
      const rows = JSON.parse(await ctl(via, ['list_queues', 'name', 'type', 'leader', '--formatter', 'json'])) as {
        name: string;
        type: string;
        leader: string;
      }[];
      const row = rows.find((r) => r.name === queue);
      if (!row) throw new Error(`queue ${queue} is not declared on the cluster`);
      if (row.type !== 'quorum') throw new Error(`queue ${queue} is of type ${row.type}, it has no leader`);
      return indexOf(row.leader);
    },
    stopNode: async (i) => {
      await ctl(i, ['stop']);
      await nodes[i].exited;
    },
    killNode: kill,
    startNode: async (i) => {
      await boot(i);
      await awaitThreeRunning(i);
    },
    stop,
  };
}

function tryKillGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** The machine's RABBITMQ_* and ERL_* settings are for its own broker, not for the kit's nodes. */
function inheritedEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(RABBITMQ_|ERL_)/.test(key)));
}

function rabbitmqSbin(): string {
  const candidates = [process.env.RABBITMQ_SBIN, DEBIAN_SBIN].filter((d): d is string => Boolean(d));
  const found = candidates.find((d) => existsSync(join(d, 'rabbitmq-server')) && existsSync(join(d, 'rabbitmqctl')));
  if (found) return found;
  const onPath = spawnSync('sh', ['-c', 'command -v rabbitmq-server'], { encoding: 'utf8' }).stdout.trim();
  if (!onPath) throw new Error(`rabbitmq-server is not installed. ${HOW_TO_INSTALL}`);
  return join(onPath, '..');
}

function logTail(dir: string, name: string): string {
  const file = join(dir, 'log', `${name}.log`);
  return existsSync(file) ? readFileSync(file, 'utf8').slice(-3000) : `(no log at ${file})`;
}

/**
 * A block of ten ports from 5681 up whose AMQP ports (base..base+2), distribution ports (+20000) and
 * CLI distribution ports (base+20003..base+20009) nothing listens on; 5672 and 25672 stay the machine's.
 */
async function freeBlock(): Promise<number> {
  for (let base = 5681; base < 5800; base += 10) {
    const ports = [0, 1, 2].flatMap((i) => [base + i, base + 20_000 + i]);
    for (let p = base + 20_003; p <= base + 20_009; p++) ports.push(p);
    const busy = await Promise.all(ports.map((p) => answers(p)));
    if (!busy.some(Boolean)) return base;
  }
  throw new Error('no free block of ports between 5681 and 5800 (and +20000) for a test RabbitMQ cluster');
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
    socket.connect(port, '127.0.0.1', () => done(true));
  });
}
