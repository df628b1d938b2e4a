/** A binary min-heap under `before(a, b)`: true when a must come out before b. */
export class BinaryHeap<T> {
  private readonly items: T[] = [];

  constructor(private readonly before: (a: T, b: T) => boolean) {}

  get size(): number {
    return this.items.length;
  }

  peek(): T | undefined {
    return this.items[0];
  }

  push(item: T): void {
    const items = this.items;
    items.push(item);
    this.siftUp(items.length - 1);
  }

  pop(): T | undefined {
    const items = this.items;
    if (items.length === 0) return undefined;
    const top = items[0];
    const last = items.pop() as T;
    if (items.length > 0) {
      items[0] = last;
      this.siftDown(0);
    }
    return top;
  }

  /** Takes `item` out wherever it is (O(n) to find it); false if it is not in the heap. */
  remove(item: T): boolean {
    const items = this.items;
    const at = items.indexOf(item);
    if (at < 0) return false;
    const last = items.pop() as T;
    if (at < items.length) {
      items[at] = last;
      this.siftDown(at);
      this.siftUp(at);
    }
    return true;
  }

  clear(): void {
    this.items.length = 0;
  }

  private siftUp(from: number): void {
    const items = this.items;
    let i = from;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(items[i], items[parent])) break;
      [items[i], items[parent]] = [items[parent], items[i]];
      i = parent;
    }
  }

  private siftDown(from: number): void {
    const items = this.items;
    let i = from;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let next = i;
      if (left < items.length && this.before(items[left], items[next])) next = left;
      if (right < items.length && this.before(items[right], items[next])) next = right;
      if (next === i) break;
      [items[i], items[next]] = [items[next], items[i]];
      i = next;
    }
  }
}
