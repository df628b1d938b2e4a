import type { Channel, Message } from 'amqplib';
import type { OutgoingMessage } from './rabbitmq.message';

/** How the broker answered one publish. */
export type PublishOutcome = 'confirmed' | 'unroutable';

/**
 * The broker's answers to one batch of publishes, awaited with one promise and one shared confirm
 * callback (a promise and a closure per message cost a fifth of a publisher's CPU).
 *
 * A nack (the broker refused a message: a full queue with overflow reject-publish, a full disk) fails
 * the batch with `rejected(count)`, once every message is answered.
 *
 * amqplib's confirm callback does not say which publish it confirms, and confirms may come out of
 * order, so the callback only counts. Which messages came back unroutable is learnt from the
 * `basic.return`s instead: the broker sends a message's return before its confirm, so once every
 * confirm of the batch is in, every return of it has been matched (`matchReturn`).
 */
export class ConfirmBatch {
  readonly outcomes: PublishOutcome[];
  readonly done: Promise<PublishOutcome[]>;
  /** When the batch began to be written (Date.now()): its confirms are overdue publishTimeoutMs later. */
  readonly writtenAt = Date.now();
  /**
   * It settled without every confirm — the broker nacked some, or its confirms were overdue (expire) —
   * so its channel is not to be trusted with more publishes (see ConfirmPublisher.retire).
   */
  channelSuspect = false;
  private answered = 0;
  /** Messages the broker nacked (refused to take). */
  private nacked = 0;
  /** A failure that is not a nack: the channel closed before every confirm came. */
  private error: unknown = null;
  private finished = false;
  private resolve!: (outcomes: PublishOutcome[]) => void;
  private reject!: (err: unknown) => void;

  constructor(
    private readonly messages: readonly OutgoingMessage[],
    /** Turns a channel error into what the caller should see. */
    private readonly explain: (err: unknown) => unknown,
    /** The error for a batch of which the broker nacked `count` messages. */
    private readonly rejected: (count: number) => unknown,
    /** Called once, as the batch settles. */
    private readonly settled?: (batch: ConfirmBatch) => void,
    /** The channel the batch is published on. */
    readonly channel: Channel | null = null,
    /** The error for a batch of which `count` messages were still unanswered after `waitedMs`. */
    private readonly overdue: (count: number, waitedMs: number) => unknown = (count, waitedMs) =>
      new Error(`${count} message(s) unconfirmed after ${waitedMs} ms`),
  ) {
    this.outcomes = new Array<PublishOutcome>(messages.length).fill('confirmed');
    this.done = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    this.done.catch(() => undefined); // Awaited by the publisher, possibly only after it settled.
    if (messages.length === 0) this.finish(null);
  }

  /**
   * The confirm callback given to amqplib for every message of the batch: called once per message, with
   * an error for a nack or a channel that closed first. The batch settles when every message is answered.
   */
  readonly onConfirm = (err: unknown): void => {
    // amqplib's callback gets this exact error for a basic.nack, and 'channel closed' when the channel went first.
    if (err && (err as Error).message === 'message nacked') this.nacked++;
    else if (err && !this.error) this.error = err;
    if (++this.answered === this.messages.length) this.finish(this.error);
  };

  /** A publish could not even be written (the channel is closed): the batch fails now. */
  fail(err: unknown): void {
    this.finish(err);
  }

  /** True once the batch resolved or rejected. */
  get isSettled(): boolean {
    return this.finished;
  }

  /** The confirms are overdue after `waitedMs`: the batch fails now; confirms that still come are ignored. */
  expire(waitedMs: number): void {
    if (this.finished) return;
    this.channelSuspect = true;
    this.finish(this.overdue(this.messages.length - this.answered, waitedMs), false);
  }

  /** Claims a returned message if it is one of this batch's not yet marked unroutable; true if it was. */
  matchReturn(returned: Message): boolean {
    const { routingKey } = returned.fields;
    for (let i = 0; i < this.messages.length; i++) {
      const message = this.messages[i];
      if (this.outcomes[i] === 'confirmed' && message.routingKey === routingKey && message.content.equals(returned.content)) {
        this.outcomes[i] = 'unroutable';
        return true;
      }
    }
    return false;
  }

  private finish(err: unknown, explain = true): void {
    if (this.finished) return;
    this.finished = true;
    if (this.nacked > 0) this.channelSuspect = true;
    this.settled?.(this);
    if (err) this.reject(explain ? this.explain(err) : err);
    else if (this.nacked > 0) this.reject(this.rejected(this.nacked));
    else this.resolve(this.outcomes);
  }
}
