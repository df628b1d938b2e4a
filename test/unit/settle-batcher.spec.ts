import { SettleBatcher } from '../../lib/backends/redis/settle-batcher';

/** A send that records each batch and answers when told to. */
function recordingSend() {
  const calls: { key: string; items: number[]; answer: (outcomes?: (Error | undefined)[]) => void; fail: (err: Error) => void }[] = [];
  const send = (key: string, items: number[]) =>
    new Promise<(Error | undefined)[]>((resolve, reject) => {
      calls.push({ key, items, answer: (outcomes = []) => resolve(outcomes), fail: reject });
    });
  return { calls, send };
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('SettleBatcher', () => {
  it('sends what is added in one tick as one batch per key', async () => {
    const { calls, send } = recordingSend();
    const batcher = new SettleBatcher(send);
    const settled = [batcher.add('a', 1), batcher.add('a', 2), batcher.add('b', 3), batcher.add('a', 4)];
    await tick();
    expect(calls.map((c) => [c.key, c.items])).toEqual([
      ['a', [1, 2, 4]],
      ['b', [3]],
    ]);
    calls.forEach((c) => c.answer());
    await Promise.all(settled);
  });

  it('keeps one call per key in flight; what comes meanwhile leaves together when it returns', async () => {
    const { calls, send } = recordingSend();
    const batcher = new SettleBatcher(send);
    const first = batcher.add('a', 1);
    await tick();
    const later = [batcher.add('a', 2), batcher.add('a', 3)];
    await tick();
    expect(calls.map((c) => c.items)).toEqual([[1]]);
    calls[0].answer();
    await first;
    await tick();
    expect(calls.map((c) => c.items)).toEqual([[1], [2, 3]]);
    calls[1].answer();
    await Promise.all(later);
  });

  it('rejects only the items the send reports as failed, and a whole batch when the send fails', async () => {
    const { calls, send } = recordingSend();
    const batcher = new SettleBatcher(send);
    const one = batcher.add('a', 1);
    const two = batcher.add('a', 2);
    await tick();
    calls[0].answer([undefined, new Error('lost 2')]);
    await expect(one).resolves.toBeUndefined();
    await expect(two).rejects.toThrow('lost 2');

    const three = batcher.add('a', 3);
    const four = batcher.add('a', 4);
    await tick();
    calls[1].fail(new Error('connection closed'));
    await expect(three).rejects.toThrow('connection closed');
    await expect(four).rejects.toThrow('connection closed');
  });

  it('caps a batch, sending the rest in the next call', async () => {
    const { calls, send } = recordingSend();
    const batcher = new SettleBatcher(send, 2);
    const all = [1, 2, 3, 4, 5].map((n) => batcher.add('a', n));
    await tick();
    expect(calls.map((c) => c.items)).toEqual([[1, 2]]);
    calls[0].answer();
    await tick();
    calls[1].answer();
    await tick();
    calls[2].answer();
    await Promise.all(all);
    expect(calls.map((c) => c.items)).toEqual([[1, 2], [3, 4], [5]]);
  });

  it('drain() resolves once everything added has been answered', async () => {
    const { calls, send } = recordingSend();
    const batcher = new SettleBatcher(send);
    void batcher.add('a', 1);
    let drained = false;
    const draining = batcher.drain().then(() => (drained = true));
    await tick();
    expect(drained).toBe(false);
    void batcher.add('a', 2);
    calls[0].answer();
    await tick();
    expect(drained).toBe(false);
    calls[1].answer();
    await draining;
    expect(calls.map((c) => c.items)).toEqual([[1], [2]]);
  });
});
