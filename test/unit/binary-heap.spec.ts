import { BinaryHeap } from '../../lib/backends/local/binary-heap';

describe('BinaryHeap', () => {
  it('pops smallest first under a less-than comparator', () => {
    const heap = new BinaryHeap<number>((a, b) => a < b);
    for (const n of [5, 3, 8, 1, 9, 2, 7]) heap.push(n);
    expect(heap.size).toBe(7);
    expect(heap.peek()).toBe(1);
    const out: number[] = [];
    for (let n = heap.pop(); n !== undefined; n = heap.pop()) out.push(n);
    expect(out).toEqual([1, 2, 3, 5, 7, 8, 9]);
    expect(heap.size).toBe(0);
  });

  it('follows a custom comparator: longest string first', () => {
    const heap = new BinaryHeap<string>((a, b) => a.length > b.length);
    for (const s of ['aa', 'a', 'aaaa', 'aaa']) heap.push(s);
    expect([heap.pop(), heap.pop(), heap.pop(), heap.pop()]).toEqual(['aaaa', 'aaa', 'aa', 'a']);
  });

  it('orders objects by a key the comparator picks', () => {
    const heap = new BinaryHeap<{ due: number; id: string }>((a, b) => a.due < b.due);
    heap.push({ due: 30, id: 'c' });
    heap.push({ due: 10, id: 'a' });
    heap.push({ due: 20, id: 'b' });
    expect(heap.peek()?.id).toBe('a');
    expect([heap.pop()?.id, heap.pop()?.id, heap.pop()?.id]).toEqual(['a', 'b', 'c']);
  });

  it('keeps duplicates', () => {
    const heap = new BinaryHeap<number>((a, b) => a < b);
    for (const n of [2, 1, 2, 1]) heap.push(n);
    expect([heap.pop(), heap.pop(), heap.pop(), heap.pop()]).toEqual([1, 1, 2, 2]);
  });

  it('returns undefined when empty, and clear empties it', () => {
    const heap = new BinaryHeap<number>((a, b) => a < b);
    expect(heap.pop()).toBeUndefined();
    expect(heap.peek()).toBeUndefined();
    heap.push(1);
    heap.push(2);
    heap.clear();
    expect(heap.size).toBe(0);
    expect(heap.pop()).toBeUndefined();
  });

  it('sorts a large descending input correctly', () => {
    const heap = new BinaryHeap<number>((a, b) => a < b);
    for (let n = 1000; n > 0; n--) heap.push(n);
    const out: number[] = [];
    while (heap.size > 0) out.push(heap.pop()!);
    expect(out).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
  });
});
