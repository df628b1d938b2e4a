import type { Cluster, Redis } from 'ioredis';

type Recheck = () => void;

/**
 * One subscriber connection for every waitForResult of this client. Scripts PUBLISH a job's id on its
 * queue's "finished" channel when it completes or dies ("*" when jobs were removed), and each waiter
 * re-reads the job's state when its id (or "*") arrives.
 */
export class FinishWatcher {
  private subscriber: Redis | Cluster | null = null;
  private readonly waiters = new Map<string, Map<string, Set<Recheck>>>();

  constructor(private readonly main: Redis | Cluster) {}

  /** Subscribes (once per channel) and calls `recheck` for every announcement of `id`; returns an unsubscribe. */
  async watch(channel: string, id: string, recheck: Recheck): Promise<() => void> {
    let byId = this.waiters.get(channel);
    if (!byId) {
      byId = new Map();
      this.waiters.set(channel, byId);
      await this.connection().subscribe(channel);
    }
    const set = byId.get(id) ?? new Set();
    set.add(recheck);
    byId.set(id, set);
    return () => {
      set.delete(recheck);
      if (set.size === 0) byId.delete(id);
      if (byId.size === 0 && this.waiters.get(channel) === byId) {
        this.waiters.delete(channel);
        void this.subscriber?.unsubscribe(channel).catch(() => undefined);
      }
    };
  }

  async close(): Promise<void> {
    this.waiters.clear();
    const subscriber = this.subscriber;
    this.subscriber = null;
    await subscriber?.quit().catch(() => subscriber.disconnect());
  }

  private connection(): Redis | Cluster {
    if (!this.subscriber) {
      this.subscriber = this.main.duplicate({ maxRetriesPerRequest: null } as never) as Redis | Cluster;
      this.subscriber.on('message', (channel: string, message: string) => {
        const byId = this.waiters.get(channel);
        if (!byId) return;
        const targets = message === '*' ? [...byId.values()] : [byId.get(message) ?? new Set<Recheck>()];
        for (const set of targets) for (const recheck of [...set]) recheck();
      });
    }
    return this.subscriber;
  }
}
