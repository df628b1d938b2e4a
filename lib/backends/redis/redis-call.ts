import { JobsError } from '../../errors';

/**
 * A command that got no answer from Redis: the connection failed (ioredis gave up reconnecting for
 * it, or the socket closed), or no reply came within the client's `commandTimeoutMs`. RedisConnection
 * turns it into a RedisUnavailableError naming the queue and the server.
 */
export class UnansweredCommandError extends Error {
  constructor(
    /** What the command was for: a script's name, or the call that sent it. */
    readonly operation: string,
    readonly reason: string,
  ) {
    super(`${operation}: ${reason}`);
    this.name = 'UnansweredCommandError';
  }
}

/** Replies that mean "not now", not "no": a server loading its data, or a cluster without a master. */
const UNAVAILABLE_REPLIES = /^(LOADING|MASTERDOWN|CLUSTERDOWN|TRYAGAIN)\b/;

/**
 * Bounds a sent command: it rejects with UnansweredCommandError when it failed for connection reasons
 * or had no reply within `timeoutMs` (Infinity: unbounded). Errors Redis answered with pass through.
 * A command that timed out may still reach Redis later (ioredis keeps it queued until it reconnects or
 * gives up), which is why every script is safe to run twice.
 */
export function answered<T>(operation: string, sent: Promise<T>, timeoutMs: number): Promise<T> {
  if (timeoutMs === Infinity) return sent.catch((err: unknown) => Promise.reject(unanswered(operation, err)));
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new UnansweredCommandError(operation, `no reply within ${timeoutMs} ms (commandTimeoutMs)`)),
      timeoutMs,
    );
    sent.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(unanswered(operation, err));
      },
    );
  });
}

/** The error itself when Redis answered it; an UnansweredCommandError when the connection failed. */
function unanswered(operation: string, err: unknown): unknown {
  if (err instanceof JobsError || err instanceof UnansweredCommandError) return err;
  // By name, not instanceof: the Redis instance may come from the app's own copy of ioredis.
  if ((err as Error)?.name === 'ReplyError' && !UNAVAILABLE_REPLIES.test((err as Error).message)) return err;
  return new UnansweredCommandError(operation, (err as Error)?.message ?? String(err));
}
