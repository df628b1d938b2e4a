import { BinaryHeap } from '../../lib/backends/local/binary-heap';
import { waitingListFor } from '../../lib/backends/local/waiting-list';
import type { QueueType } from '../../lib';

interface Item {
  priority: number;
  seq: number;
}

/** mulberry32: seeded, so the random sequence is the same on every run. */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Withdrawing a job (dedup replace, a superseded schedule occurrence) takes it out of the middle of a list or heap. */
describe('LocalClient in memory: withdrawing from the waiting list and the delay heap', () => {
  it('BinaryHeap.remove keeps the heap order for what stays, over a random sequence', () => {
    const random = seededRandom(16);
    const heap = new BinaryHeap<{ due: number }>((a, b) => a.due < b.due);
    const kept: { due: number }[] = [];
    for (let i = 0; i < 300; i++) {
      const item = { due: Math.floor(random() * 100) };
      heap.push(item);
      kept.push(item);
      if (random() < 0.4) {
        const victim = kept.splice(Math.floor(random() * kept.length), 1)[0];
        expect(heap.remove(victim)).toBe(true);
      }
    }
    expect(heap.remove({ due: 1 })).toBe(false);
    const out: number[] = [];
    for (let item = heap.pop(); item; item = heap.pop()) out.push(item.due);
    expect(out).toEqual(kept.map((k) => k.due).sort((a, b) => a - b));
  });

  it.each<QueueType>(['fifo', 'stack', 'priority'])('a %s waiting list delivers the rest in order after a removal', (type) => {
    const list = waitingListFor<Item>(type);
    const items = [3, 1, 2, 1, 3, 2].map((priority, seq) => ({ priority, seq }));
    for (const item of items) list.push(item);
    const reference = waitingListFor<Item>(type);
    for (const item of items) if (item.seq !== 2) reference.push(item);
    expect(list.remove(items[2])).toBe(true);
    expect(list.remove(items[2])).toBe(false);
    expect(list.size).toBe(5);
    expect(list.drain()).toEqual(reference.drain());
  });
});
