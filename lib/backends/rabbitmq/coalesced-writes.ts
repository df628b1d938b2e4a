import type { ChannelModel } from 'amqplib';
import type { Writable } from 'node:stream';

/** The part of amqplib's connection internals this relies on (the same from amqplib 0.8 to 2.3). */
interface AmqplibInternals {
  connection?: {
    stream?: Writable;
    muxer?: { _readIncoming?: () => void };
  };
}

/**
 * Makes amqplib write what its channels have ready as one socket write instead of one per frame.
 *
 * amqplib's multiplexer takes each channel's frames in turn and writes them to the socket one by one;
 * with `noDelay` every one of those is a syscall (and a TCP segment the broker must read): a third of a
 * busy client's CPU went to them. Corking the socket while the multiplexer runs gathers them into one
 * `writev`. Nothing waits longer: the multiplexer runs exactly when it would have, and the socket is
 * uncorked before it returns.
 *
 * If a future amqplib lays its internals out differently, this does nothing and writes stay as they were;
 * it returns whether it applied (a test checks it does with the amqplib we install).
 */
export function coalesceWrites(model: ChannelModel): boolean {
  const { stream, muxer } = (model as unknown as AmqplibInternals).connection ?? {};
  const readIncoming = muxer?._readIncoming;
  if (!stream || !muxer || typeof readIncoming !== 'function' || typeof stream.cork !== 'function') return false;
  muxer._readIncoming = function corked(this: unknown): void {
    stream.cork();
    try {
      readIncoming.call(this);
    } finally {
      stream.uncork();
    }
  };
  return true;
}
