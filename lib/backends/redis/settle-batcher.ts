/** Sends one batch; resolves with each item's own outcome: its result, or the Error that failed it alone. */
export type SendBatch<T, R> = (key: string, items: T[]) => Promise<(R | Error)[]>;

interface Pending<T, R> {
  item: T;
  resolve: (result: R) => void;
  reject: (err: Error) => void;
}

interface KeyState<T, R> {
  pending: Pending<T, R>[];
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
export class SettleBatcher<T, R = undefined> {
  private readonly keys = new Map<string, KeyState<T, R>>();

  constructor(
    private readonly send: SendBatch<T, R>,
    /** The most items in one call: a script runs alone on the server, so keep each call short. */
    private readonly maxBatch = 500,
  ) {}

  add(key: string, item: T): Promise<R> {
    let state = this.keys.get(key);
    if (!state) {
      state = { pending: [], inFlight: null, scheduled: false };
      this.keys.set(key, state);
    }
    const settled = new Promise<R>((resolve, reject) => state.pending.push({ item, resolve, reject }));
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

  private flush(key: string, state: KeyState<T, R>): void {
    state.scheduled = false;
    const batch = state.pending.splice(0, this.maxBatch);
    if (batch.length === 0) {
      this.keys.delete(key);
      return;
    }
    state.inFlight = this.send(
      key,
      batch.map((p) => p.item),
    )
      .then(
        (outcomes) =>
          batch.forEach((p, i) => {
            const outcome = outcomes[i];
            if (outcome instanceof Error) p.reject(outcome);
            else p.resolve(outcome);
          }),
        (err: Error) => batch.forEach((p) => p.reject(err)),
      )
      .finally(() => {
        state.inFlight = null;
        this.flush(key, state);
      });
  }
}
