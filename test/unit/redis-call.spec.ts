import { ReplyError } from 'ioredis';
import { UnansweredCommandError, answered } from '../../lib/backends/redis/redis-call';

/** A reply we decide by hand: stands for a command ioredis has sent. */
function pendingReply<T>(): { sent: Promise<T>; answer(value: T): void; fail(err: Error): void } {
  let answer!: (value: T) => void;
  let fail!: (err: Error) => void;
  const sent = new Promise<T>((resolve, reject) => {
    answer = resolve;
    fail = reject;
  });
  return { sent, answer, fail };
}

/**
 * answered() bounds every command by commandTimeoutMs: each unanswered call times out on its own,
 * naming its operation, and an answer wins only if it came first.
 */
describe('answered (commandTimeoutMs)', () => {
  it('resolves with the reply when it comes in time', async () => {
    const reply = pendingReply<string>();
    const call = answered('publish', reply.sent, 5_000);
    reply.answer('OK');
    await expect(call).resolves.toBe('OK');
  });

  it('rejects each unanswered call with UnansweredCommandError naming it, and leaves answered ones alone', async () => {
    const replies = [pendingReply<number>(), pendingReply<number>(), pendingReply<number>()];
    const calls = replies.map((reply, i) => answered(`op${i}`, reply.sent, 40));
    replies[1].answer(1);
    const outcomes = await Promise.allSettled(calls);
    expect(outcomes[1]).toEqual({ status: 'fulfilled', value: 1 });
    for (const i of [0, 2]) {
      const outcome = outcomes[i] as PromiseRejectedResult;
      expect(outcome.status).toBe('rejected');
      expect(outcome.reason).toBeInstanceOf(UnansweredCommandError);
      expect(outcome.reason).toMatchObject({ operation: `op${i}` });
      expect((outcome.reason as Error).message).toContain('no reply within 40 ms (commandTimeoutMs)');
    }
  });

  it('times out a call sent after an earlier one was answered', async () => {
    const first = pendingReply<string>();
    const firstCall = answered('first', first.sent, 30);
    first.answer('a');
    await expect(firstCall).resolves.toBe('a');
    await new Promise((resolve) => setTimeout(resolve, 15));
    const second = pendingReply<string>();
    await expect(answered('second', second.sent, 30)).rejects.toMatchObject({ name: 'UnansweredCommandError', operation: 'second' });
    // An answer after the timeout changes nothing.
    second.answer('late');
  });

  it('passes errors Redis answered with through, and turns connection failures into UnansweredCommandError', async () => {
    const refused = pendingReply<string>();
    const refusedCall = answered('publish', refused.sent, 5_000);
    refused.fail(new ReplyError('MINDTRACE_DUPLICATE j1'));
    await expect(refusedCall).rejects.toBeInstanceOf(ReplyError);

    const lost = pendingReply<string>();
    const lostCall = answered('publish', lost.sent, 5_000);
    lost.fail(new Error('Connection is closed.'));
    await expect(lostCall).rejects.toMatchObject({ name: 'UnansweredCommandError', reason: 'Connection is closed.' });
  });
});
