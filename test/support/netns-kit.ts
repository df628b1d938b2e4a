import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

const HOW_TO_RUN =
  'The partition tests build network namespaces with `ip netns` and `ip link` (iproute2): they must run as root ' +
  '(or with CAP_NET_ADMIN and CAP_SYS_ADMIN) on Linux.';

/** Every namespace of the kit is named `mtnet-<pid of the test process>-<run>-<host>`: a dead pid marks a stale one. */
const PREFIX = 'mtnet-';
const NAME = /^mtnet-(\d+)-([0-9a-f]+)-/;

/** One host of the kit's network: a namespace with one interface (eth0) on the kit's private /24. */
export interface NetnsHost {
  name: string;
  /** The namespace, for `ip netns exec`. */
  ns: string;
  /** Its address on the kit's /24, e.g. 10.77.42.2. */
  address: string;
}

/**
 * Hosts in network namespaces joined by a bridge (in a namespace of its own, the "switch"), plus a
 * link from the test's own namespace, so the test process reaches every host on the kit's addresses
 * and never on 127.0.0.1. A host is cut off by taking its switch port down, and restored by bringing
 * it up: the host sees no carrier, the others lose its packets, nobody gets a reset.
 */
export interface NetnsNetwork {
  /** The run id in every name this network uses. */
  id: string;
  hosts: Record<string, NetnsHost>;
  /** The test process's own address on the /24 (on the link from its namespace to the switch). */
  testAddress: string;
  /** Spawns `command args` inside host `name`'s namespace; the kit kills it at stop() if it still runs. */
  spawn(name: string, command: string, args: string[], options?: { env?: NodeJS.ProcessEnv; cwd?: string }): ChildProcess;
  /** Runs a command inside host `name`'s namespace; resolves with its stdout. */
  exec(name: string, command: string, args: string[]): Promise<string>;
  /** Takes host `name`'s switch port down: nothing reaches it or leaves it until restore(). */
  cut(name: string): Promise<void>;
  restore(name: string): Promise<void>;
  /** Something to undo (synchronously) once the network's processes are gone, at stop() or when the test process exits. */
  atStop(cleanup: () => void): void;
  /** Kills every process in the kit's namespaces and deletes them (and with them every link). Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Builds the network: namespace `<host>` for each name, with eth0 = 10.77.<n>.<2+i>/24, where n is
 * a /24 no interface of the test's namespace is on. Cleans up namespaces left by earlier runs whose
 * process is gone (killed before its teardown) first.
 */
export async function startNetwork(names: readonly string[]): Promise<NetnsNetwork> {
  await requireIpNetns();
  await removeStaleNamespaces();
  const id = randomBytes(3).toString('hex');
  const nsOf = (host: string): string => `${PREFIX}${process.pid}-${id}-${host}`;
  const switchNs = nsOf('switch');
  const rootLink = `mtv${id}`;
  let subnet: string;
  const children = new Set<ChildProcess>();
  const cleanups: (() => void)[] = [];
  const namespaces = [switchNs, ...names.map(nsOf)];

  let stopped = false;
  const killAllNow = (): void => {
    for (const child of children) tryKill(child);
    for (const ns of namespaces) removeNamespaceSync(ns);
    for (const cleanup of cleanups.splice(0)) cleanup();
  };
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    process.removeListener('exit', killAllNow);
    await Promise.all([...children].map((child) => killAndWait(child)));
    for (const ns of namespaces) removeNamespaceSync(ns);
    for (const cleanup of cleanups.splice(0)) cleanup();
  };
  // A test process that exits without stop() (a failed beforeAll, Jest's forced exit) still cleans up.
  process.once('exit', killAllNow);

  const hosts: Record<string, NetnsHost> = {};
  try {
    await ip(['netns', 'add', switchNs]);
    await ip(['-n', switchNs, 'link', 'add', 'br0', 'type', 'bridge']);
    await ip(['-n', switchNs, 'link', 'set', 'br0', 'up']);
    await ip(['link', 'add', rootLink, 'type', 'veth', 'peer', 'name', 'p-test', 'netns', switchNs]);
    await ip(['-n', switchNs, 'link', 'set', 'p-test', 'master', 'br0', 'up']);
    subnet = await claimSubnet(rootLink);
    await ip(['link', 'set', rootLink, 'up']);
    for (const [i, name] of names.entries()) {
      const ns = nsOf(name);
      const address = `${subnet}.${2 + i}`;
      await ip(['netns', 'add', ns]);
      // Made inside the switch, each end moved where it belongs: no name of ours ever sits in the test's namespace.
      await ip(['-n', switchNs, 'link', 'add', `p-${name}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
      await ip(['-n', switchNs, 'link', 'set', `p-${name}`, 'master', 'br0', 'up']);
      await ip(['-n', ns, 'addr', 'add', `${address}/24`, 'dev', 'eth0']);
      await ip(['-n', ns, 'link', 'set', 'eth0', 'up']);
      // Servers inside (epmd, the Erlang CLI) talk to themselves on 127.0.0.1 of their own namespace.
      await ip(['-n', ns, 'link', 'set', 'lo', 'up']);
      hosts[name] = { name, ns, address };
    }
  } catch (err) {
    await stop();
    throw err;
  }

  const hostOf = (name: string): NetnsHost => {
    const host = hosts[name];
    if (!host) throw new Error(`no host ${name} in this network (${Object.keys(hosts).join(', ')})`);
    return host;
  };

  return {
    id,
    hosts,
    testAddress: `${subnet}.1`,
    spawn(name, command, args, options = {}) {
      // `ip netns exec` execs the command: the child's pid is the command's own.
      const child = spawn('ip', ['netns', 'exec', hostOf(name).ns, command, ...args], {
        env: options.env ?? process.env,
        cwd: options.cwd,
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      children.add(child);
      child.once('exit', () => children.delete(child));
      return child;
    },
    exec: async (name, command, args) => (await run('ip', ['netns', 'exec', hostOf(name).ns, command, ...args])).stdout,
    cut: (name) => ip(['-n', switchNs, 'link', 'set', `p-${hostOf(name).name}`, 'down']),
    restore: (name) => ip(['-n', switchNs, 'link', 'set', `p-${hostOf(name).name}`, 'up']),
    atStop: (cleanup) => cleanups.push(cleanup),
    stop,
  };
}

/** A private server started in a host of the network, and how to stop it. */
export interface NetnsServer {
  url: string;
  child: ChildProcess;
  /** SIGKILLs it (the data is throwaway) and resolves once it has exited. */
  stop(): Promise<void>;
}

/** Starts redis-server inside host `name`, listening on its address only, port 6379, without persistence (protected mode off: clients come from other hosts). */
export async function startRedisIn(net: NetnsNetwork, name: string): Promise<NetnsServer> {
  const { address } = net.hosts[name];
  const child = net.spawn(name, 'redis-server', [
    '--bind',
    address,
    '--port',
    '6379',
    '--save',
    '',
    '--appendonly',
    'no',
    '--protected-mode',
    'no',
  ]);
  await outputSays(child, /Ready to accept connections/, 'redis-server', 20_000);
  return { url: `redis://${address}:6379`, child, stop: () => killAndWait(child) };
}

/** Debian's /usr/sbin scripts switch to the rabbitmq user; the real ones live here (as in rabbitmq-cluster-kit.ts). */
const DEBIAN_SBIN = '/usr/lib/rabbitmq/bin';
/** A node's files are in a tmp dir named after the test process: a dead pid marks a stale one. */
const RABBIT_DIR = 'mindtrace-netns-rabbit-';

/**
 * Starts one RabbitMQ node inside host `name` (no plugins, data in a tmp dir, a private cookie and
 * epmd in the namespace), listening on the host's address, port 5672, with guest allowed from there.
 * The machine's own broker (and its node name, cookie and config) is not touched.
 */
export async function startRabbitMQIn(net: NetnsNetwork, name: string): Promise<NetnsServer> {
  const { address } = net.hosts[name];
  const sbin = [process.env.RABBITMQ_SBIN, DEBIAN_SBIN].find((d) => d && existsSync(join(d, 'rabbitmq-server')));
  if (!sbin) throw new Error('rabbitmq-server is not installed (or set RABBITMQ_SBIN to the folder holding it)');
  const dir = mkdtempSync(join(tmpdir(), `${RABBIT_DIR}${process.pid}-`));
  const removeDir = (): void => rmSync(dir, { recursive: true, force: true });
  net.atStop(removeDir);
  const home = join(dir, 'home');
  mkdirSync(home);
  writeFileSync(join(home, '.erlang.cookie'), `MINDTRACENETNS${net.id}`, { mode: 0o400 });
  writeFileSync(join(dir, 'enabled_plugins'), '[].\n');
  writeFileSync(join(dir, 'rabbitmq-env.conf'), '');
  const config = join(dir, 'node.conf');
  // guest may log in from the test's namespace: by default it is refused anywhere but loopback.
  writeFileSync(config, `listeners.tcp.1 = ${address}:5672\nloopback_users = none\nlog.console = false\nlog.file.level = info\n`);
  const env = {
    ...Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(RABBITMQ_|ERL_)/.test(key))),
    HOME: home,
    RABBITMQ_NODENAME: `mt-netns-${net.id}@localhost`,
    RABBITMQ_NODE_PORT: '5672',
    RABBITMQ_DIST_PORT: '25672',
    RABBITMQ_CONF_ENV_FILE: join(dir, 'rabbitmq-env.conf'),
    RABBITMQ_CONFIG_FILE: config,
    RABBITMQ_ADVANCED_CONFIG_FILE: join(dir, 'advanced.config'),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
    RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
    RABBITMQ_LOG_BASE: join(dir, 'log'),
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: '-kernel inet_dist_use_interface {127,0,0,1} +sbwt none +sbwtdcpu none +sbwtdio none',
    ERL_EPMD_ADDRESS: '127.0.0.1',
  };
  const child = net.spawn(name, join(sbin, 'rabbitmq-server'), [], { env });
  const stop = async (): Promise<void> => {
    await killAndWait(child);
    removeDir();
  };
  try {
    await outputSays(child, /Starting broker\.\.\. completed with \d+ plugins/, 'rabbitmq-server', 90_000);
  } catch (err) {
    await stop();
    throw err;
  }
  return { url: `amqp://guest:guest@${address}:5672`, child, stop };
}

function outputSays(child: ChildProcess, line: RegExp, what: string, guardMs: number): Promise<void> {
  let output = '';
  return new Promise((resolve, reject) => {
    const guard = setTimeout(() => reject(new Error(`${what} did not start in ${guardMs} ms:\n${output}`)), guardMs);
    const keep = (chunk: Buffer): void => {
      output = (output + chunk.toString()).slice(-4000);
      if (!line.test(output)) return;
      clearTimeout(guard);
      resolve();
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.once('exit', (code, signal) => {
      clearTimeout(guard);
      reject(new Error(`${what} exited (${code ?? signal}) while starting:\n${output}`)); // a no-op once started
    });
  });
}

async function ip(args: string[]): Promise<void> {
  try {
    await run('ip', args);
  } catch (err) {
    const failure = err as { stderr?: string; message: string };
    throw new Error(`ip ${args.join(' ')} failed: ${failure.stderr || failure.message}`, { cause: err });
  }
}

async function requireIpNetns(): Promise<void> {
  if (process.platform !== 'linux') throw new Error(`network namespaces need Linux. ${HOW_TO_RUN}`);
  try {
    await run('ip', ['netns', 'list']);
  } catch (err) {
    throw new Error(`\`ip netns list\` failed: ${(err as Error).message}. ${HOW_TO_RUN}`, { cause: err });
  }
  if (process.getuid?.() !== 0) throw new Error(`not running as root. ${HOW_TO_RUN}`);
}

/** Namespaces (and RabbitMQ files) of earlier runs whose test process is gone: their servers are killed and the namespaces deleted. */
async function removeStaleNamespaces(): Promise<void> {
  const { stdout } = await run('ip', ['netns', 'list']);
  for (const line of stdout.split('\n')) {
    const ns = line.split(' ')[0];
    const match = NAME.exec(ns);
    if (match && !alive(Number(match[1]))) removeNamespaceSync(ns);
  }
  for (const entry of readdirSync(tmpdir())) {
    const pid = entry.startsWith(RABBIT_DIR) ? Number(entry.slice(RABBIT_DIR.length).split('-')[0]) : NaN;
    if (Number.isInteger(pid) && !alive(pid)) rmSync(join(tmpdir(), entry), { recursive: true, force: true });
  }
}

/** Kills what runs in the namespace (its links go with it once it is empty), then deletes it. */
function removeNamespaceSync(ns: string): void {
  try {
    const pids = execFileSync('ip', ['netns', 'pids', ns], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    for (const pid of pids.split('\n').filter(Boolean)) tryKillPid(Number(pid));
  } catch {
    // no such namespace
  }
  try {
    execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
  } catch {
    // already gone
  }
}

/**
 * Puts `link` (in the test's namespace) on a /24 of 10.77.0.0/16 that no other interface there is on
 * (another run's link, say) and returns its first three octets. Two runs picking the same /24 at the
 * same moment both see the other's address once theirs is added: each gives it up and picks again.
 */
async function claimSubnet(link: string): Promise<string> {
  for (let tries = 0; tries < 100; tries++) {
    const subnet = `10.77.${1 + Math.floor(Math.random() * 250)}`;
    if ((await linksOn(subnet)).length > 0) continue;
    await ip(['addr', 'add', `${subnet}.1/24`, 'dev', link]);
    if ((await linksOn(subnet)).every((other) => other === link)) return subnet;
    await ip(['addr', 'del', `${subnet}.1/24`, 'dev', link]);
  }
  throw new Error('no free /24 in 10.77.0.0/16 for a test network');
}

/** Interfaces of the test's namespace with an address in `subnet`.0/24. */
async function linksOn(subnet: string): Promise<string[]> {
  const { stdout } = await run('ip', ['-o', '-4', 'addr', 'show']);
  return stdout
    .split('\n')
    .filter((line) => line.includes(`inet ${subnet}.`))
    .map((line) => line.split(/\s+/)[1]);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function tryKillPid(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

function tryKill(child: ChildProcess): void {
  if (child.pid && child.exitCode === null && child.signalCode === null) tryKillPid(child.pid);
}

function killAndWait(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  tryKill(child);
  return exited;
}
