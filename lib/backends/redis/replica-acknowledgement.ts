import type { Cluster, Redis } from 'ioredis';
import type { ReplicaOptions } from './redis-client.options';

/**
 * Redis `WAIT` for the writes of one connection: how many replicas hold every write the connection
 * made before it. WAIT blocks its connection, so calls made while one is in flight share the next
 * one (sent after it, so it covers their writes too) instead of queueing a WAIT each.
 *
 * WAIT counts only its own connection's writes. ioredis resends a command whose connection dropped
 * on the next one — possibly to a new primary, where a WAIT covers nothing and returns at once — so
 * a WAIT answered on another connection than the write confirms nothing (`connection` tells them apart).
 */
export class ReplicaAcknowledgement {
  /** Counts the connection's closes: a reply read under the same number came over the same connection. */
  private closes = 0;
  private inFlight: Promise<unknown> = Promise.resolve();
  /** The WAIT to be sent once the one in flight returns; callers meanwhile share it. */
  private next: Promise<[confirmed: number, connection: number]> | null = null;
  private readonly onClose = (): void => void this.closes++;

  constructor(
    private readonly redis: Redis | Cluster,
    readonly replicas: Required<ReplicaOptions>,
  ) {
    redis.on('close', this.onClose);
  }

  /** Which connection a reply read now came over: read it as soon as the write's reply is in. */
  get connection(): number {
    return this.closes;
  }

  /** Replicas holding the writes this connection (`connection`) made before; 0 if it dropped since. */
  async confirmed(connection: number): Promise<number> {
    if (this.next === null) {
      const sent = this.inFlight.then(async (): Promise<[number, number]> => {
        this.next = null;
        const confirmed = await (this.redis as Redis).wait(this.replicas.count, this.replicas.timeoutMs);
        return [confirmed, this.closes];
      });
      this.inFlight = sent.catch(() => undefined);
      this.next = sent;
    }
    const [confirmed, answeredOn] = await this.next;
    return answeredOn === connection ? confirmed : 0;
  }

  stop(): void {
    this.redis.off('close', this.onClose);
  }
}
