import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import { InvalidOptionError } from '../../errors';
import type { JobStateStore } from '../../backend/job-state-store.interface';
import { resolveRetention, type RetentionOptions, type RetentionRule } from '../../backend/retention-options';

/** How to reach and use a RabbitMQ broker. Every field is optional; the defaults reach a local broker as guest. */
export interface RabbitMQClientOptions {
  /**
   * `amqp://user:pass@host:5672/vhost` (or `amqps://` for TLS). An alternative to host / port / username /
   * password / vhost, which cannot be given with it. A URL's vhost is percent-encoded (`%2F` is `/`); an
   * empty one means the default vhost `/`. Query parameters honoured: `heartbeat` (s), `frame_max`,
   * `channel_max`, `connection_timeout` (ms); any other is refused (InvalidOptionError), never ignored.
   */
  url?: string;
  /**
   * The nodes of a cluster, as `amqp://` URLs (one or more): the client connects to the first that answers
   * and, when its connection is lost, tries the next ones in turn (with `reconnectDelays` between rounds).
   * They may differ only in host and port (same protocol, credentials, vhost and parameters). Cannot be
   * given with `url`, host, port, username, password or vhost.
   */
  urls?: readonly string[];
  /** Default 'localhost'. */
  host?: string;
  /** Default 5672, or 5671 with `tls`. */
  port?: number;
  /** Default 'guest'. */
  username?: string;
  /** Default 'guest'. */
  password?: string;
  /** Default '/'. */
  vhost?: string;
  /** Heartbeat in seconds, so a dead peer is noticed; 0 turns it off. Default 30. */
  heartbeat?: number;
  /** Connect with TLS (amqps): `true`, or Node's TLS options (ca, cert, key, servername, rejectUnauthorized …). */
  tls?: boolean | TlsConnectionOptions;
  /**
   * Deliveries one client may hold unacknowledged per queue (running plus buffered). Default: follows
   * the consumers' demand — the sum of the concurrency of the workers fetching through this client.
   */
  prefetch?: number;
  /**
   * The kind of broker queue every queue of this client is: `'classic'` (default, for compatibility) or
   * `'quorum'` — replicated on the cluster's nodes (Raft), the recommended choice in production (see
   * docs/rabbitmq.md "Running at scale"). Quorum queues take no priorities before RabbitMQ 4 (only 'fifo'
   * queues), and count deliveries (`x-delivery-count`), so `maxStalls` works. An existing queue keeps its kind:
   * declaring it as the other is a TopologyConflictError.
   */
  queueType?: BrokerQueueKind;
  /** The highest priority of a priority queue (`x-max-priority`), 1 to 255. Default 10. */
  maxPriority?: number;
  /** Put in front of every queue and exchange name the client declares, to keep apps or test runs apart. Default ''. */
  prefix?: string;
  /** Shown in the broker's connection list (`rabbitmqctl list_connections client_properties`). Default '@mindtrace/jobs'. */
  connectionName?: string;
  /** Give up on one connection attempt, or on a broker that does not answer `close()`, after this many milliseconds. Default 10000. */
  connectTimeout?: number;
  /**
   * Waits between reconnection attempts, in milliseconds; the last one repeats and is the longest wait.
   * Each is jittered down by up to half, so clients cut off together do not return together.
   * Default [100, 250, 500, 1000, 2000, 5000].
   */
  reconnectDelays?: readonly number[];
  /**
   * How long a publish waits while the broker blocks publishing (a memory or disk alarm) before it
   * fails with BrokerBlockedError, in milliseconds; 0 fails at once. Default 5000.
   */
  blockedTimeout?: number;
  /**
   * How long a publish waits for the broker's confirms, in milliseconds, before it fails with
   * PublishNotConfirmedError (the jobs may or may not be enqueued); the next publishes then go through a
   * new channel. A quorum queue with no leader holds publishes without answering. Default 30000.
   */
  publishTimeoutMs?: number;
  /**
   * Where job states and results are kept, for getJob / waitForResult. RabbitMQ itself only holds
   * messages; without a store those calls throw UnsupportedCapabilityError. The client closes it with itself.
   */
  jobStore?: JobStateStore;
  /**
   * Only `dead` applies here: it bounds the broker queue `<prefix><queue>.dead` (`x-max-length`, `x-message-ttl`;
   * default the newest 10,000, however old). Completed jobs are kept by the `jobStore`: give `completed` to it.
   */
  retention?: Pick<RetentionOptions, 'dead'>;
}

/** The kind of broker queue (RabbitMQ's `x-queue-type`) a client declares. */
export type BrokerQueueKind = 'classic' | 'quorum';

/** One node to connect to. */
export interface BrokerNode {
  host: string;
  port: number;
  /** The node's protocol://host:port/vhost, for messages. */
  address: string;
}

/** The options after defaults and checks, as the client uses them. */
export interface ResolvedRabbitMQOptions {
  protocol: 'amqp' | 'amqps';
  host: string;
  port: number;
  username: string;
  password: string;
  vhost: string;
  heartbeat: number;
  tls: TlsConnectionOptions | null;
  /** null: follow demand. */
  prefetch: number | null;
  maxPriority: number;
  queueKind: BrokerQueueKind;
  /** Where to connect, in order: `host` / `port` first, then the other `urls`. */
  nodes: readonly BrokerNode[];
  prefix: string;
  connectionName: string;
  connectTimeout: number;
  reconnectDelays: readonly number[];
  blockedTimeout: number;
  publishTimeoutMs: number;
  /** From the URL's `frame_max` / `channel_max`; null leaves amqplib's default. */
  frameMax: number | null;
  channelMax: number | null;
  jobStore: JobStateStore | null;
  /** How many dead letters the broker keeps per queue, and for how long; Infinity: no bound. */
  deadRetention: Required<RetentionRule>;
  /** host:port/vhost (every node's, for a list), for messages; never the credentials. */
  address: string;
}

const WHERE = 'RabbitMQClient';
const KNOWN = new Set<string>([
  'url',
  'urls',
  'host',
  'port',
  'username',
  'password',
  'vhost',
  'heartbeat',
  'tls',
  'prefetch',
  'maxPriority',
  'queueType',
  'prefix',
  'connectionName',
  'connectTimeout',
  'reconnectDelays',
  'blockedTimeout',
  'publishTimeoutMs',
  'jobStore',
  'retention',
]);
/** x-message-ttl is an unsigned 32-bit number of milliseconds. */
const MAX_TTL_MS = 2 ** 32 - 1;
/** URL query parameters the client honours (RabbitMQ's URI spec names); any other is refused. */
const URL_PARAMS = ['heartbeat', 'frame_max', 'channel_max', 'connection_timeout'];
const URL_EXCLUSIVE = ['host', 'port', 'username', 'password', 'vhost'] as const;
const QUEUE_KINDS: readonly BrokerQueueKind[] = ['classic', 'quorum'];

/** Checks every option (naming the bad one) and fills in the defaults. */
export function resolveRabbitMQOptions(input: RabbitMQClientOptions | string = {}): ResolvedRabbitMQOptions {
  const options: RabbitMQClientOptions = typeof input === 'string' ? { url: input } : input;
  if (options === null || typeof options !== 'object')
    throw new InvalidOptionError(WHERE, 'options', 'must be an object or an amqp:// URL string');
  for (const key of Object.keys(options)) {
    if (!KNOWN.has(key)) throw new InvalidOptionError(WHERE, key, `is not a RabbitMQClient option (known: ${[...KNOWN].join(', ')})`);
  }

  const endpoints = endpointsOf(options);
  const endpoint = endpoints[0];
  const heartbeat = options.heartbeat ?? endpoint.heartbeat ?? 30;
  integerIn('heartbeat', heartbeat, 0, 65535);
  if (options.prefetch !== undefined) integerIn('prefetch', options.prefetch, 1, 65535);
  const maxPriority = options.maxPriority ?? 10;
  integerIn('maxPriority', maxPriority, 1, 255);
  const queueKind = options.queueType ?? 'classic';
  if (!QUEUE_KINDS.includes(queueKind)) {
    throw new InvalidOptionError(WHERE, 'queueType', `must be 'classic' or 'quorum' (the kind of broker queue), got ${String(queueKind)}`);
  }
  const prefix = options.prefix ?? '';
  if (typeof prefix !== 'string') throw new InvalidOptionError(WHERE, 'prefix', `must be a string, got ${String(prefix)}`);
  if (prefix.startsWith('amq.'))
    throw new InvalidOptionError(WHERE, 'prefix', `must not start with "amq." — RabbitMQ reserves those names`);
  const connectionName = options.connectionName ?? '@mindtrace/jobs';
  if (typeof connectionName !== 'string') throw new InvalidOptionError(WHERE, 'connectionName', 'must be a string');
  const connectTimeout = options.connectTimeout ?? endpoint.connectTimeout ?? 10_000;
  integerIn('connectTimeout', connectTimeout, 1, 2 ** 31 - 1);
  const reconnectDelays = options.reconnectDelays ?? [100, 250, 500, 1000, 2000, 5000];
  if (!Array.isArray(reconnectDelays) || reconnectDelays.length === 0 || !reconnectDelays.every((d) => Number.isFinite(d) && d >= 0)) {
    throw new InvalidOptionError(
      WHERE,
      'reconnectDelays',
      `must be a non-empty array of milliseconds >= 0, got ${String(reconnectDelays)}`,
    );
  }
  const blockedTimeout = options.blockedTimeout ?? 5000;
  integerIn('blockedTimeout', blockedTimeout, 0, 2 ** 31 - 1);
  const publishTimeoutMs = options.publishTimeoutMs ?? 30_000;
  integerIn('publishTimeoutMs', publishTimeoutMs, 1, 2 ** 31 - 1);
  const store = options.jobStore ?? null;
  if (store !== null && (typeof store !== 'object' || typeof store.get !== 'function' || typeof store.published !== 'function')) {
    throw new InvalidOptionError(WHERE, 'jobStore', 'must implement JobStateStore (e.g. new InMemoryJobStateStore())');
  }
  const deadRetention = deadRetentionOf(options.retention);

  let tls: TlsConnectionOptions | null = null;
  if (options.tls !== undefined && options.tls !== false) {
    if (options.tls !== true && (options.tls === null || typeof options.tls !== 'object')) {
      throw new InvalidOptionError(WHERE, 'tls', 'must be true, false or an object of TLS options (ca, cert, key, …)');
    }
    tls = options.tls === true ? {} : options.tls;
  }
  if (endpoint.protocol === 'amqps' && tls === null) tls = {};
  const protocol = tls ? 'amqps' : 'amqp';
  const vhostPath = endpoint.vhost === '/' ? '/' : `/${encodeURIComponent(endpoint.vhost)}`;
  const nodes = endpoints.map(({ host, port: given }) => {
    const port = given ?? (protocol === 'amqps' ? 5671 : 5672);
    return { host, port, address: `${protocol}://${host}:${port}${vhostPath}` };
  });
  const port = nodes[0].port;

  return {
    protocol,
    host: endpoint.host,
    port,
    username: endpoint.username,
    password: endpoint.password,
    vhost: endpoint.vhost,
    heartbeat,
    tls,
    prefetch: options.prefetch ?? null,
    maxPriority,
    queueKind,
    nodes,
    prefix,
    connectionName,
    connectTimeout,
    reconnectDelays: [...reconnectDelays],
    blockedTimeout,
    publishTimeoutMs,
    frameMax: endpoint.frameMax,
    channelMax: endpoint.channelMax,
    jobStore: store,
    deadRetention,
    address: nodes.length === 1 ? nodes[0].address : `${protocol}://${nodes.map((n) => `${n.host}:${n.port}`).join(',')}${vhostPath}`,
  };
}

/** The dead-letter rule as the broker can hold it; `completed` belongs to the job store, so it is refused here rather than ignored. */
function deadRetentionOf(retention: RabbitMQClientOptions['retention']): Required<RetentionRule> {
  if (retention !== null && typeof retention === 'object' && (retention as RetentionOptions).completed !== undefined) {
    throw new InvalidOptionError(
      WHERE,
      'retention.completed',
      'is not kept by RabbitMQ: completed jobs live in the jobStore — give it there (new InMemoryJobStateStore({ retention: { completed } }) or RedisJobStateStore)',
    );
  }
  const { dead } = resolveRetention(WHERE, retention);
  if (Number.isFinite(dead.ageMs) && Math.ceil(dead.ageMs) > MAX_TTL_MS) {
    throw new InvalidOptionError(
      WHERE,
      'retention.dead.ageMs',
      `must be at most ${MAX_TTL_MS} ms (RabbitMQ's x-message-ttl) or Infinity, got ${dead.ageMs}`,
    );
  }
  return dead;
}

interface Endpoint {
  protocol: 'amqp' | 'amqps';
  host: string;
  port: number | undefined;
  username: string;
  password: string;
  vhost: string;
  heartbeat: number | undefined;
  frameMax: number | null;
  channelMax: number | null;
  connectTimeout: number | undefined;
}

function endpointOf(options: RabbitMQClientOptions): Endpoint {
  const host = options.host ?? 'localhost';
  if (typeof host !== 'string' || host.length === 0)
    throw new InvalidOptionError(WHERE, 'host', `must be a non-empty string, got ${String(host)}`);
  if (options.port !== undefined) integerIn('port', options.port, 1, 65535);
  for (const key of ['username', 'password', 'vhost'] as const) {
    if (options[key] !== undefined && typeof options[key] !== 'string')
      throw new InvalidOptionError(WHERE, key, `must be a string, got ${String(options[key])}`);
  }
  const vhost = options.vhost ?? '/';
  if (vhost.length === 0) throw new InvalidOptionError(WHERE, 'vhost', "must not be empty — the default vhost is '/'");
  return {
    protocol: 'amqp',
    host,
    port: options.port,
    username: options.username ?? 'guest',
    password: options.password ?? 'guest',
    vhost,
    heartbeat: undefined,
    frameMax: null,
    channelMax: null,
    connectTimeout: undefined,
  };
}

/** One endpoint per node: from `urls`, `url`, or host / port. Nodes of a list may differ only in host and port. */
function endpointsOf(options: RabbitMQClientOptions): Endpoint[] {
  if (options.urls === undefined) return [options.url === undefined ? endpointOf(options) : endpointOfUrl(options, 'url', options.url)];
  if (options.url !== undefined) throw new InvalidOptionError(WHERE, 'url', 'cannot be given together with urls — put every node in urls');
  if (!Array.isArray(options.urls) || options.urls.length === 0) {
    throw new InvalidOptionError(WHERE, 'urls', `must be a non-empty array of amqp:// URLs, got ${String(options.urls)}`);
  }
  const endpoints = options.urls.map((url, i) => endpointOfUrl(options, `urls[${i}]`, url));
  const sameExceptNode = (e: Endpoint): string => JSON.stringify({ ...e, host: '', port: 0 });
  const odd = endpoints.findIndex((e) => sameExceptNode(e) !== sameExceptNode(endpoints[0]));
  if (odd > 0) {
    throw new InvalidOptionError(
      WHERE,
      `urls[${odd}]`,
      'differs from urls[0] in more than host and port (protocol, credentials, vhost or parameters): the nodes of one cluster are reached alike',
    );
  }
  return endpoints;
}

function endpointOfUrl(options: RabbitMQClientOptions, option: string, given: unknown): Endpoint {
  const clash = URL_EXCLUSIVE.find((key) => options[key] !== undefined);
  if (clash) {
    const list = option === 'url' ? 'url' : 'urls';
    throw new InvalidOptionError(WHERE, clash, `cannot be given together with ${list} — put it in the URL, or drop the URL`);
  }
  let url: URL;
  try {
    url = new URL(String(given));
  } catch {
    throw new InvalidOptionError(WHERE, option, `is not a valid URL (expected amqp://user:pass@host:5672/vhost), got ${String(given)}`);
  }
  if (url.protocol !== 'amqp:' && url.protocol !== 'amqps:') {
    throw new InvalidOptionError(WHERE, option, `must start with amqp:// or amqps://, got ${url.protocol}//`);
  }
  if (!url.hostname) throw new InvalidOptionError(WHERE, option, 'must name a host');
  const vhost = decodeURIComponent(url.pathname.replace(/^\//, '')) || '/';
  for (const key of url.searchParams.keys()) {
    if (!URL_PARAMS.includes(key)) {
      throw new InvalidOptionError(
        WHERE,
        `${option} ${key}`,
        `is not a URL parameter RabbitMQClient honours (known: ${URL_PARAMS.join(', ')}) — TLS settings go in the tls option; nothing else is supported`,
      );
    }
  }
  const param = (key: string, min: number, max: number): number | undefined => {
    const raw = url.searchParams.get(key);
    if (raw === null) return undefined;
    const value = raw.trim() === '' ? NaN : Number(raw);
    integerIn(`${option} ${key}`, value, min, max);
    return value;
  };
  const heartbeat = param('heartbeat', 0, 65535);
  // 0 means "no limit" to AMQP; RabbitMQ refuses frames smaller than 4096 bytes.
  const frameMax = param('frame_max', 0, 2 ** 32 - 1);
  if (frameMax !== undefined && frameMax !== 0 && frameMax < 4096) {
    throw new InvalidOptionError(WHERE, `${option} frame_max`, `must be 0 (no limit) or at least 4096 bytes, got ${frameMax}`);
  }
  const channelMax = param('channel_max', 0, 65535);
  const connectTimeout = param('connection_timeout', 1, 2 ** 31 - 1);
  return {
    protocol: url.protocol === 'amqps:' ? 'amqps' : 'amqp',
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port ? Number(url.port) : undefined,
    username: url.username || url.password ? decodeURIComponent(url.username) : 'guest',
    password: url.username || url.password ? decodeURIComponent(url.password) : 'guest',
    vhost,
    heartbeat,
    frameMax: frameMax ?? null,
    channelMax: channelMax ?? null,
    connectTimeout,
  };
}

function integerIn(option: string, value: unknown, min: number, max: number): void {
  if (!(Number.isInteger(value) && (value as number) >= min && (value as number) <= max)) {
    throw new InvalidOptionError(WHERE, option, `must be a whole number from ${min} to ${max}, got ${String(value)}`);
  }
}
