/** Sends one batch; resolves with each item's own failure (undefined: it went through). */
export type SendBatch<T> = (key: string, items: T[]) => Promise<(Error | undefined)[]>;

interface Pending<T> {
  item: T;
  resolve: () => void;
  reject: (err: Error) => void;
}

interface KeyState<T> {
  pending: Pending<T>[];
  /** The call in flight for this key, if any. */
  inFlight: Promise<void> | null;
  scheduled: boolean;
}

/**
 * Groups calls per key (a queue) into batches: one round trip carries every item added since the
 * previous one left. At most one batch per key is in flight; items added meanwhile wait for it (a
 * round trip at most) and then leave together. So a busy consumer settles many jobs per script call,
 * and an idle one's lone item leaves on the next tick, not later.
 */
export class SettleBatcher<T> {
  private readonly keys = new Map<string, KeyState<T>>();

  constructor(
    private readonly send: SendBatch<T>,
    /** The most items in one call: a script runs alone on the server, so keep each call short. */
    private readonly maxBatch = 500,
  ) {}

  add(key: string, item: T): Promise<void> {
    let state = this.keys.get(key);
    if (!state) {
      state = { pending: [], inFlight: null, scheduled: false };
      this.keys.set(key, state);
    }
    const settled = new Promise<void>((resolve, reject) => state.pending.push({ item, resolve, reject }));
    if (!state.inFlight && !state.scheduled) {
      state.scheduled = true;
      // After the current tick's microtasks: every job that finished in this tick joins the batch.
      process.nextTick(() => this.flush(key, state));
    }
    return settled;
  }

  /** Resolves once everything added so far has been sent and answered. */
  async drain(): Promise<void> {
    while (this.keys.size > 0) {
      await Promise.all([...this.keys.values()].map((state) => state.inFlight ?? Promise.resolve()));
      // A key scheduled for the next tick but not yet flushed: let it leave.
      if ([...this.keys.values()].every((state) => !state.inFlight)) await new Promise((resolve) => setImmediate(resolve));
    }
  }

  private flush(key: string, state: KeyState<T>): void {
    state.scheduled = false;
    const batch = state.pending.splice(0, this.maxBatch);
    if (batch.length === 0) {
      this.keys.delete(key);
      return;
    }
    state.inFlight = this.send(
      key,
      batch.map((p) => p.item),
    ).then(
      (outcomes) => batch.forEach((p, i) => (outcomes[i] ? p.reject(outcomes[i]) : p.resolve())),
      (err: Error) => batch.forEach((p) => p.reject(err)),
    ).finally(() => {
      state.inFlight = null;
      this.flush(key, state);
    });
  }
}
