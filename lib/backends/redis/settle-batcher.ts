/** Sends one batch; resolves with each item's own outcome: its result, or the Error that failed it alone. */
export type SendBatch<T, R> = (key: string, items: T[]) => Promise<(R | Error)[]>;

/**
 * Batches of one key that may await their reply at the same time. Two, not one: with one, a busy
 * consumer and Redis take turns (its slots all wait on the reply, Redis waits on the next batch);
 * with two, one batch runs on Redis while the client works on the other's reply. More would only
 * split batches smaller. Redis runs one connection's calls in the order sent, so settles keep order.
 */
export const BATCHES_IN_FLIGHT = 2;

interface Pending<T, R> {
  item: T;
  resolve: (result: R) => void;
  reject: (err: Error) => void;
}

interface KeyState<T, R> {
  pending: Pending<T, R>[];
  /** The calls in flight for this key, at most BATCHES_IN_FLIGHT. */
  inFlight: Set<Promise<void>>;
  scheduled: boolean;
}

/**
 * Groups calls per key (a queue) into batches: one round trip carries the items added since the
 * previous one left. At most BATCHES_IN_FLIGHT batches per key are in flight; items added while all
 * of them are wait for the first reply (a round trip at most) and then leave together. So a busy
 * consumer settles many jobs per script call, and an idle one's lone item leaves on the next tick.
 */
export class SettleBatcher<T, R = undefined> {
  private readonly keys = new Map<string, KeyState<T, R>>();

  constructor(
    private readonly send: SendBatch<T, R>,
    /** The most items in one call: a script runs alone on the server, so keep each call short. */
    private readonly maxBatch = 500,
    private readonly maxInFlight = BATCHES_IN_FLIGHT,
  ) {}

  add(key: string, item: T): Promise<R> {
    let state = this.keys.get(key);
    if (!state) {
      state = { pending: [], inFlight: new Set(), scheduled: false };
      this.keys.set(key, state);
    }
    const settled = new Promise<R>((resolve, reject) => state.pending.push({ item, resolve, reject }));
    if (state.inFlight.size < this.maxInFlight && !state.scheduled) {
      state.scheduled = true;
      // After the current tick's microtasks: every job that finished in this tick joins the batch.
      process.nextTick(() => this.flush(key, state));
    }
    return settled;
  }

  /** Resolves once everything added so far has been sent and answered. */
  async drain(): Promise<void> {
    while (this.keys.size > 0) {
      const inFlight = [...this.keys.values()].flatMap((state) => [...state.inFlight]);
      if (inFlight.length > 0) await Promise.all(inFlight);
      // A key scheduled for the next tick but not yet flushed: let it leave.
      else await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /** Sends what is pending, as many batches as there are free places in flight. */
  private flush(key: string, state: KeyState<T, R>): void {
    state.scheduled = false;
    while (state.pending.length > 0 && state.inFlight.size < this.maxInFlight) this.sendBatch(key, state);
    if (state.pending.length === 0 && state.inFlight.size === 0) this.keys.delete(key);
  }

  private sendBatch(key: string, state: KeyState<T, R>): void {
    // Shared out over the free places: a consumer's slots all finishing together still come back as
    // two halves, so one half's jobs run while Redis settles the other.
    const free = this.maxInFlight - state.inFlight.size;
    const batch = state.pending.splice(0, Math.min(this.maxBatch, Math.ceil(state.pending.length / free)));
    const call: Promise<void> = this.send(
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
        state.inFlight.delete(call);
        // A flush already scheduled sends what waits; otherwise it leaves now, behind this reply.
        if (!state.scheduled) this.flush(key, state);
      });
    state.inFlight.add(call);
  }
}
