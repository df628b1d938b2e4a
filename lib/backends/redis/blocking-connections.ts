import type { Cluster, Redis } from 'ioredis';

interface BlockingConnection {
  redis: Redis | Cluster;
  /** CLIENT ID on the server, to interrupt a BLPOP with CLIENT UNBLOCK. */
  id: number | null;
}

/**
 * Connections for blocking waits. A BLPOP holds its connection, so each waiting consumer borrows its
 * own; they are reused and closed with the client. An abort interrupts the wait with CLIENT UNBLOCK
 * from the command connection instead of leaving it to time out.
 */
export class BlockingConnections {
  private readonly idle: BlockingConnection[] = [];
  private readonly all = new Set<BlockingConnection>();

  constructor(private readonly main: Redis | Cluster) {}

  /** Waits until `key` gets a wake token, `timeoutMs` passes, or the signal aborts. */
  async waitFor(key: string, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return;
    const connection = this.idle.pop() ?? this.open();
    const onAbort = (): void => {
      if (connection.id !== null) {
        void (this.main as Redis).client('UNBLOCK', connection.id).catch(() => undefined);
      } else {
        // Reconnected (new server-side id unknown) or reconnecting: drop this connection instead.
        this.all.delete(connection);
        connection.redis.disconnect();
      }
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      if (connection.id === null) connection.id = Number(await (connection.redis as Redis).client('ID'));
      if (signal?.aborted) return;
      await connection.redis.blpop(key, Math.max(timeoutMs, 1) / 1000);
    } catch {
      // Dropped by an abort (see onAbort): the caller returns empty-handed anyway.
    } finally {
      signal?.removeEventListener('abort', onAbort);
      if (this.all.has(connection)) this.idle.push(connection);
    }
  }

  async close(): Promise<void> {
    const connections = [...this.all];
    this.all.clear();
    this.idle.length = 0;
    await Promise.all(connections.map((c) => c.redis.quit().catch(() => c.redis.disconnect())));
  }

  private open(): BlockingConnection {
    // No retry limit: a BLPOP in flight when the connection drops is sent again once it is back.
    // (Not resending would leave its promise pending for ever: ioredis drops such commands silently.)
    const redis = this.main.duplicate({ maxRetriesPerRequest: null } as never) as Redis | Cluster;
    const connection: BlockingConnection = { redis, id: null };
    // The server gives a reconnected socket a new id.
    redis.on('ready', () => (connection.id = null));
    this.all.add(connection);
    return connection;
  }
}
