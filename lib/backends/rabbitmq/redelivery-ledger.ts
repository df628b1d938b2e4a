/** Enough for every message a busy client gives back between two deliveries of it; the oldest are forgotten first. */
const CAPACITY = 10_000;

/**
 * The messages this client gave back to the broker unrun (buffered ones at a cancel, released ones at
 * shutdown). RabbitMQ marks every message it delivers again as `redelivered`, and a redelivery counts
 * as an attempt — the run before it may have crashed the worker. A message in this ledger was never
 * run, so when it comes back to this client its redelivery is not counted.
 */
export class RedeliveryLedger {
  private readonly entries = new Map<string, number>();
  /** Every unrun return of each message (never taken back), so stalls can leave them out; bounded as `entries`. */
  private readonly returns = new Map<string, number>();

  /** A message of `queue` with this job id and body attempt went back unrun. */
  add(queue: string, id: string, attempt: number): void {
    const key = keyOf(queue, id, attempt);
    const count = (this.entries.get(key) ?? 0) + 1;
    this.entries.delete(key); // re-inserted as the newest
    this.entries.set(key, count);
    if (this.entries.size > CAPACITY) this.entries.delete(this.entries.keys().next().value as string);
    const returns = (this.returns.get(key) ?? 0) + 1;
    this.returns.delete(key);
    this.returns.set(key, returns);
    if (this.returns.size > CAPACITY) this.returns.delete(this.returns.keys().next().value as string);
  }

  /** How often this client gave this message back unrun, in all. */
  unrunReturns(queue: string, id: string, attempt: number): number {
    return this.returns.get(keyOf(queue, id, attempt)) ?? 0;
  }

  /** True (and forgets it once) if this message was given back unrun. */
  take(queue: string, id: string, attempt: number): boolean {
    const key = keyOf(queue, id, attempt);
    const count = this.entries.get(key);
    if (!count) return false;
    if (count === 1) this.entries.delete(key);
    else this.entries.set(key, count - 1);
    return true;
  }
}

function keyOf(queue: string, id: string, attempt: number): string {
  return `${queue}\u0000${id}\u0000${attempt}`;
}
