import { FifoList, PriorityList, StackList, waitingListFor } from '../../lib/backends/local/waiting-list';

interface Item {
  priority: number;
  seq: number;
}

/** mulberry32: a tiny seeded PRNG, so the random test is the same on every run. */
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

describe('FifoList', () => {
  it('is empty at first', () => {
    const list = new FifoList<number>();
    expect(list.size).toBe(0);
    expect(list.peek()).toBeUndefined();
    expect(list.take()).toBeUndefined();
    expect(list.drain()).toEqual([]);
  });

  it('takes in push order across growth past 16', () => {
    const list = new FifoList<number>();
    for (let i = 0; i < 100; i++) list.push(i);
    expect(list.size).toBe(100);
    const out: (number | undefined)[] = [];
    while (list.size > 0) out.push(list.take());
    expect(out).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(list.take()).toBeUndefined();
  });

  it('keeps order when the ring wraps around and then grows', () => {
    const list = new FifoList<number>();
    const expected: number[] = [];
    const taken: number[] = [];
    let next = 0;
    // Move the head forward so the ring wraps, then grow while wrapped.
    for (let i = 0; i < 12; i++) list.push(next++);
    for (let i = 0; i < 10; i++) taken.push(list.take()!);
    for (let i = 0; i < 30; i++) list.push(next++);
    // Interleave: two in, one out, many times over.
    for (let round = 0; round < 200; round++) {
      list.push(next++);
      list.push(next++);
      taken.push(list.take()!);
    }
    taken.push(...list.drain());
    for (let i = 0; i < next; i++) expected.push(i);
    expect(taken).toEqual(expected);
    expect(list.size).toBe(0);
  });

  it('counts size through pushes and takes', () => {
    const list = new FifoList<string>();
    list.push('a');
    list.push('b');
    list.take();
    list.push('c');
    expect(list.size).toBe(2);
  });

  it('peek shows the next item without taking it', () => {
    const list = new FifoList<string>();
    list.push('a');
    list.push('b');
    expect(list.peek()).toBe('a');
    expect(list.size).toBe(2);
    expect(list.take()).toBe('a');
    expect(list.peek()).toBe('b');
  });

  it('drain returns everything in order and empties the list', () => {
    const list = new FifoList<number>();
    for (let i = 0; i < 20; i++) list.push(i);
    list.take();
    list.take();
    expect(list.drain()).toEqual(Array.from({ length: 18 }, (_, i) => i + 2));
    expect(list.size).toBe(0);
    list.push(99);
    expect(list.take()).toBe(99);
  });

  it('keeps falsy items', () => {
    const list = new FifoList<number>();
    list.push(0);
    list.push(1);
    expect(list.take()).toBe(0);
    expect(list.take()).toBe(1);
  });
});

describe('StackList', () => {
  const item = (seq: number): Item => ({ priority: 0, seq });
  const seqs = (items: (Item | undefined)[]) => items.map((i) => i?.seq);

  it('takes last in, first out', () => {
    const list = new StackList<Item>();
    for (let i = 0; i < 5; i++) list.push(item(i));
    expect(list.size).toBe(5);
    expect(seqs([list.take(), list.take()])).toEqual([4, 3]);
    list.push(item(9));
    expect(seqs([list.take(), list.take(), list.take(), list.take()])).toEqual([9, 2, 1, 0]);
    expect(list.take()).toBeUndefined();
  });

  it('drain returns items in the order take would have, and empties the list', () => {
    const list = new StackList<Item>();
    for (let i = 0; i < 5; i++) list.push(item(i));
    expect(seqs(list.drain())).toEqual([4, 3, 2, 1, 0]);
    expect(list.size).toBe(0);
    expect(list.take()).toBeUndefined();
  });

  it('putBack returns taken items to their places, below those pushed after them', () => {
    const list = new StackList<Item>();
    for (let i = 0; i < 5; i++) list.push(item(i));
    const taken = [list.take()!, list.take()!]; // 4, 3
    list.push(item(5));
    for (const t of taken) list.putBack(t);
    expect(seqs(list.drain())).toEqual([5, 4, 3, 2, 1, 0]);
  });
});

describe('putBack on fifo and priority lists', () => {
  it('fifo: taken items go back ahead of the rest, in their old order, whatever order they come back in', () => {
    const list = waitingListFor<Item>('fifo');
    for (let i = 0; i < 40; i++) list.push({ priority: 0, seq: i }); // grows the ring past its first size
    const taken = [list.take()!, list.take()!, list.take()!];
    for (const t of [taken[2], taken[0], taken[1]]) list.putBack(t);
    expect(list.drain().map((i) => i.seq)).toEqual(Array.from({ length: 40 }, (_, i) => i));
  });

  it('fifo: putBack into an empty or full ring keeps every item', () => {
    const list = waitingListFor<Item>('fifo');
    for (let i = 0; i < 16; i++) list.push({ priority: 0, seq: i + 1 });
    list.putBack({ priority: 0, seq: 0 }); // the ring is full: it grows first
    expect(list.size).toBe(17);
    expect(list.drain().map((i) => i.seq)).toEqual(Array.from({ length: 17 }, (_, i) => i));
    list.putBack({ priority: 0, seq: 3 });
    expect(list.drain().map((i) => i.seq)).toEqual([3]);
  });

  it('priority: a taken item goes back to its place among equal priorities', () => {
    const list = waitingListFor<Item>('priority');
    for (let i = 0; i < 4; i++) list.push({ priority: 1, seq: i });
    const first = list.take()!;
    list.push({ priority: 1, seq: 4 });
    list.putBack(first);
    expect(list.drain().map((i) => i.seq)).toEqual([0, 1, 2, 3, 4]);
  });
});

describe('PriorityList', () => {
  it('takes higher priority first', () => {
    const list = new PriorityList<Item>();
    list.push({ priority: 1, seq: 1 });
    list.push({ priority: 5, seq: 2 });
    list.push({ priority: 3, seq: 3 });
    expect([list.take(), list.take(), list.take()].map((i) => i?.priority)).toEqual([5, 3, 1]);
    expect(list.take()).toBeUndefined();
  });

  it('takes equal priorities in sequence order', () => {
    const list = new PriorityList<Item>();
    for (const seq of [4, 1, 3, 2, 0]) list.push({ priority: 7, seq });
    expect(list.drain().map((i) => i.seq)).toEqual([0, 1, 2, 3, 4]);
  });

  it('puts negative priorities after zero', () => {
    const list = new PriorityList<Item>();
    list.push({ priority: -5, seq: 1 });
    list.push({ priority: 0, seq: 2 });
    list.push({ priority: -1, seq: 3 });
    list.push({ priority: 2, seq: 4 });
    expect(list.drain().map((i) => i.priority)).toEqual([2, 0, -1, -5]);
    expect(list.size).toBe(0);
  });

  it('matches a sorted reference for many random items, with takes interleaved', () => {
    const random = seededRandom(20240506);
    const list = new PriorityList<Item>();
    const reference: Item[] = [];
    const byRank = (a: Item, b: Item) => b.priority - a.priority || a.seq - b.seq;
    let seq = 0;
    for (let round = 0; round < 2000; round++) {
      const item = { priority: Math.floor(random() * 21) - 10, seq: seq++ };
      list.push(item);
      reference.push(item);
      if (random() < 0.3) {
        reference.sort(byRank);
        expect(list.take()).toBe(reference.shift());
      }
    }
    expect(list.size).toBe(reference.length);
    expect(list.drain()).toEqual(reference.sort(byRank));
  });
});

describe('waitingListFor', () => {
  it('gives the list for each queue type', () => {
    expect(waitingListFor('fifo')).toBeInstanceOf(FifoList);
    expect(waitingListFor('stack')).toBeInstanceOf(StackList);
    expect(waitingListFor('priority')).toBeInstanceOf(PriorityList);
  });
});
