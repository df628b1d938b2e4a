import type { QueueType } from '../../backend/queue-type';
import { BinaryHeap } from './binary-heap';

/** The waiting jobs of one queue, in the order its type delivers them. */
export interface WaitingList<T> {
  readonly size: number;
  push(item: T): void;
  /** Removes and returns the next item to deliver. */
  take(): T | undefined;
  /** Returns an item taken earlier to the place it was taken from, ahead of those published after it. */
  putBack(item: T): void;
  /** Removes everything and returns it. */
  drain(): T[];
  /** Takes `item` out wherever it is (a withdrawn job; O(n)); false if it is not in the list. */
  remove(item: T): boolean;
}

interface Ranked {
  priority: number;
  seq: number;
}

/** FIFO as a growable ring buffer: O(1) at both ends without Array.shift's copying. */
export class FifoList<T> {
  private items: (T | undefined)[] = new Array(16);
  private head = 0;
  private count = 0;

  get size(): number {
    return this.count;
  }

  push(item: T): void {
    if (this.count === this.items.length) this.grow();
    this.items[(this.head + this.count) % this.items.length] = item;
    this.count++;
  }

  peek(): T | undefined {
    return this.count === 0 ? undefined : this.items[this.head];
  }

  /** Inserts `item` before the first queued item that `goesAfter` it; scans from the head. */
  insertBefore(item: T, goesAfter: (queued: T) => boolean): void {
    if (this.count === this.items.length) this.grow();
    const size = this.items.length;
    let at = 0;
    while (at < this.count && !goesAfter(this.items[(this.head + at) % size] as T)) at++;
    this.head = (this.head - 1 + size) % size;
    for (let i = 0; i < at; i++) this.items[(this.head + i) % size] = this.items[(this.head + i + 1) % size];
    this.items[(this.head + at) % size] = item;
    this.count++;
  }

  take(): T | undefined {
    if (this.count === 0) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined;
    this.head = (this.head + 1) % this.items.length;
    this.count--;
    return item;
  }

  drain(): T[] {
    const out: T[] = [];
    for (let item = this.take(); item !== undefined; item = this.take()) out.push(item);
    return out;
  }

  /** The items, head first, without removing them. */
  toArray(): T[] {
    const out: T[] = new Array(this.count);
    for (let i = 0; i < this.count; i++) out[i] = this.items[(this.head + i) % this.items.length] as T;
    return out;
  }

  remove(item: T): boolean {
    const before = this.count;
    this.retain((queued) => queued !== item);
    return this.count < before;
  }

  /** Keeps only the items `keep` says yes to, in their order. */
  retain(keep: (item: T) => boolean): void {
    const kept = this.toArray().filter(keep);
    this.items = new Array(Math.max(16, this.items.length));
    for (let i = 0; i < kept.length; i++) this.items[i] = kept[i];
    this.head = 0;
    this.count = kept.length;
  }

  private grow(): void {
    const bigger: (T | undefined)[] = new Array(this.items.length * 2);
    for (let i = 0; i < this.count; i++) bigger[i] = this.items[(this.head + i) % this.items.length];
    this.items = bigger;
    this.head = 0;
  }
}

/** FIFO waiting jobs; a given-back job belongs near the head, so the scan for its place is short. */
export class RankedFifoList<T extends Ranked> extends FifoList<T> implements WaitingList<T> {
  putBack(item: T): void {
    this.insertBefore(item, (queued) => queued.seq > item.seq);
  }
}

export class StackList<T extends Ranked> implements WaitingList<T> {
  private items: T[] = [];

  get size(): number {
    return this.items.length;
  }

  push(item: T): void {
    this.items.push(item);
  }

  putBack(item: T): void {
    let at = this.items.length;
    while (at > 0 && this.items[at - 1].seq > item.seq) at--;
    this.items.splice(at, 0, item);
  }

  take(): T | undefined {
    return this.items.pop();
  }

  remove(item: T): boolean {
    const at = this.items.indexOf(item);
    if (at >= 0) this.items.splice(at, 1);
    return at >= 0;
  }

  drain(): T[] {
    const out = this.items.reverse();
    this.items = [];
    return out;
  }
}

/** Higher priority first; equal priorities by publish sequence. O(log n) push and take. */
export class PriorityList<T extends Ranked> implements WaitingList<T> {
  private readonly heap = new BinaryHeap<T>((a, b) => (a.priority !== b.priority ? a.priority > b.priority : a.seq < b.seq));

  get size(): number {
    return this.heap.size;
  }

  push(item: T): void {
    this.heap.push(item);
  }

  /** Its priority and publish sequence are unchanged, so the heap puts it back in its place. */
  putBack(item: T): void {
    this.heap.push(item);
  }

  take(): T | undefined {
    return this.heap.pop();
  }

  remove(item: T): boolean {
    return this.heap.remove(item);
  }

  drain(): T[] {
    const out: T[] = [];
    for (let item = this.heap.pop(); item !== undefined; item = this.heap.pop()) out.push(item);
    return out;
  }
}

export function waitingListFor<T extends Ranked>(type: QueueType): WaitingList<T> {
  switch (type) {
    case 'fifo':
      return new RankedFifoList<T>();
    case 'stack':
      return new StackList<T>();
    case 'priority':
      return new PriorityList<T>();
  }
}
