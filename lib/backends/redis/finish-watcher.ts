import type { Cluster, Redis } from 'ioredis';
import type { JobState } from '../../backend/job-state';
import { JobNotFoundError } from '../../errors';
import { duplicateConnection } from './duplicate-connection';

type Recheck = () => void;

/**
 * One subscriber connection for every waitForResult of this client. Scripts PUBLISH a job's id on its
 * queue's "finished" channel when it completes or dies ("*" when jobs were removed), and each waiter
 * re-reads the job's state when its id (or "*") arrives.
 */
export class FinishWatcher {
  private subscriber: Redis | Cluster | null = null;
  private readonly waiters = new Map<string, Map<string, Set<Recheck>>>();
  /** The SUBSCRIBE of each channel, which every watcher of that channel awaits before looking. */
  private readonly subscribed = new Map<string, Promise<unknown>>();

  constructor(private readonly main: Redis | Cluster) {}

  /**
   * Resolves with the job's state once it is completed or dead, reading it with `read` whenever the
   * channel announces it (and once right after subscribing, so a finish in between is not missed).
   * Rejects with JobNotFoundError if the job disappears, and with the signal's reason on abort.
   */
  waitFor(channel: string, id: string, read: () => Promise<JobState | null>, signal: AbortSignal): Promise<JobState> {
    return new Promise<JobState>((resolve, reject) => {
      let settled = false;
      let unwatch: () => void = () => undefined;
      const finish = (outcome: JobState | Error): void => {
        if (settled) return;
        settled = true;
        unwatch();
        signal.removeEventListener('abort', onAbort);
        if (outcome instanceof Error) reject(outcome);
        else resolve(outcome);
      };
      const onAbort = (): void => finish(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
      const recheck = (): void => {
        read().then(
          (state) => {
            if (!state) finish(new JobNotFoundError(id));
            else if (state.status === 'completed' || state.status === 'dead') finish(state);
          },
          (err: Error) => finish(err),
        );
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      this.watch(channel, id, recheck).then(
        (stop) => {
          unwatch = stop;
          if (settled) stop();
          else recheck();
        },
        (err: Error) => finish(err),
      );
    });
  }

  /** Subscribes (once per channel) and calls `recheck` for every announcement of `id`; returns an unsubscribe. */
  async watch(channel: string, id: string, recheck: Recheck): Promise<() => void> {
    let byId = this.waiters.get(channel);
    if (!byId) {
      byId = new Map();
      this.waiters.set(channel, byId);
      this.subscribed.set(channel, this.connection().subscribe(channel));
    }
    const set = byId.get(id) ?? new Set();
    set.add(recheck);
    byId.set(id, set);
    const ids = byId;
    const stop = (): void => {
      set.delete(recheck);
      if (set.size === 0) ids.delete(id);
      if (ids.size === 0 && this.waiters.get(channel) === ids) {
        this.waiters.delete(channel);
        this.subscribed.delete(channel);
        void this.subscriber?.unsubscribe(channel).catch(() => undefined);
      }
    };
    try {
      await this.subscribed.get(channel);
    } catch (err) {
      stop();
      throw err;
    }
    return stop;
  }

  async close(): Promise<void> {
    this.waiters.clear();
    this.subscribed.clear();
    const subscriber = this.subscriber;
    this.subscriber = null;
    await subscriber?.quit().catch(() => subscriber.disconnect());
  }

  private connection(): Redis | Cluster {
    if (!this.subscriber) {
      this.subscriber = duplicateConnection(this.main, { maxRetriesPerRequest: null });
      let connectedBefore = false;
      // Announcements made while the subscriber was reconnecting reached nobody: look again.
      this.subscriber.on('ready', () => {
        if (connectedBefore)
          for (const byId of this.waiters.values()) for (const set of byId.values()) for (const recheck of [...set]) recheck();
        connectedBefore = true;
      });
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
