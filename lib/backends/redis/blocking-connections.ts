import { randomUUID } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import { duplicateConnection } from './duplicate-connection';

/** How long an abort's wake token may wait for its BLPOP: as long as the longest block. */
const WAKE_TOKEN_TTL_MS = 10_000;

/**
 * Connections for blocking waits. A BLPOP holds its connection, so each waiting consumer borrows its
 * own; they are reused and closed with the client.
 *
 * Each wait blocks on its wake list and on a private key of its own, in the same hash slot (it extends
 * the wake list's name, hash tag included). An abort pushes a token onto that private key from the
 * command connection, which ends the BLPOP at once. Unlike CLIENT UNBLOCK this needs no server-side
 * client id, so it works on Redis Cluster (the push goes to the node of the slot, wherever the BLPOP
 * is) and across a reconnect (a resent BLPOP finds the token waiting).
 */
export class BlockingConnections {
  private readonly idle: (Redis | Cluster)[] = [];
  private readonly all = new Set<Redis | Cluster>();

  constructor(private readonly main: Redis | Cluster) {}

  /** Waits until `key` gets a wake token, `timeoutMs` passes, or the signal aborts. */
  async waitFor(key: string, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return;
    const connection = this.idle.pop() ?? this.open();
    const abortKey = `${key}:abort:${randomUUID()}`;
    const onAbort = (): void => {
      // The token expires by itself if the BLPOP had already returned and nobody pops it.
      void this.main
        .pipeline()
        .rpush(abortKey, '1')
        .pexpire(abortKey, WAKE_TOKEN_TTL_MS)
        .exec()
        .catch(() => undefined);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await connection.blpop(key, abortKey, Math.max(timeoutMs, 1) / 1000);
    } catch {
      // The connection failed or was closed: the caller looks at the queue again (or has stopped).
    } finally {
      signal?.removeEventListener('abort', onAbort);
      if (this.all.has(connection)) this.idle.push(connection);
    }
  }

  async close(): Promise<void> {
    const connections = [...this.all];
    this.all.clear();
    this.idle.length = 0;
    // One that is reconnecting would hold a QUIT until it is back: just drop it.
    await Promise.all(connections.map((c) => (c.status === 'ready' ? c.quit().catch(() => c.disconnect()) : c.disconnect())));
  }

  private open(): Redis | Cluster {
    // No retry limit: a BLPOP in flight when the connection drops is sent again once it is back.
    // (Not resending would leave its promise pending for ever: ioredis drops such commands silently.)
    const redis = duplicateConnection(this.main, { maxRetriesPerRequest: null });
    this.all.add(redis);
    return redis;
  }
}
