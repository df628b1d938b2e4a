import { duplicateJobIdError, notDeadLettersError, priorityNotAllowedError } from '../../backend/backend-rules';
import { InvalidOptionError, type JobsError, LeaseLostError, QueueNotDeclaredError, QueueTypeMismatchError } from '../../errors';

/**
 * Every refusal a script raises (refuse() in _common.lua), and the typed error it becomes. A refusal
 * arrives as `<code>` or `<code> <JSON array of arguments>`; the queue is the one the call was about.
 * The one place a script's "no" is put into words: every caller speaks the same messages.
 */
const SCRIPT_ERRORS = {
  MINDTRACE_NOT_DECLARED: (queue: string) => new QueueNotDeclaredError(queue),
  MINDTRACE_TYPE_MISMATCH: (queue: string, [existing, requested]: string[]) => new QueueTypeMismatchError(queue, existing, requested),
  MINDTRACE_LEASE_LOST: (queue: string, [id]: string[]) => new LeaseLostError(queue, id),
  MINDTRACE_PRIORITY: (queue: string, [type]: string[]) => priorityNotAllowedError(queue, type),
  MINDTRACE_DUPLICATE: (queue: string, [id]: string[]) =>
    duplicateJobIdError(
      queue,
      id,
      `is already a job of "${queue}" (or twice in this batch)`,
      'if this call retries a publish that failed without an answer (RedisUnavailableError) in another process, ' +
        'that publish went through and the job is enqueued once (getJob tells); otherwise ',
    ),
  MINDTRACE_ELSEWHERE: (queue: string, [id, owner]: string[]) =>
    new InvalidOptionError(
      `publish to "${queue}"`,
      'job.id',
      `${id} is already a job of queue "${owner}" — publish a new job (jobFromSchema) instead of the same one to two queues`,
    ),
  MINDTRACE_NOT_DEAD: (queue: string, ids: string[]) => notDeadLettersError(queue, ids),
} satisfies Record<string, (queue: string, args: string[]) => JobsError>;

export type ScriptErrorCode = keyof typeof SCRIPT_ERRORS;

/** Every code a script may refuse with (a test holds the Lua side to this list). */
export const SCRIPT_ERROR_CODES = Object.keys(SCRIPT_ERRORS) as ScriptErrorCode[];

/** `<code>`, then optionally a JSON array; Redis 7 appends " script: <sha>, on @user_script:<line>." to raised errors. */
const REFUSAL = /^(MINDTRACE_[A-Z_]+)(?: (\[.*\]))?(?: script: .*)?$/s;

/** The typed error for a refusal the client found out itself (the Redis Cluster index claim). */
export function scriptError(code: ScriptErrorCode, queue: string, args: string[] = []): JobsError {
  return SCRIPT_ERRORS[code](queue, args);
}

/** The typed error a script's refusal stands for; undefined when `err` is no refusal (any other error). */
export function refusalOf(err: unknown, queue: string): JobsError | undefined {
  const match = REFUSAL.exec((err as Error)?.message ?? '');
  if (!match || !(match[1] in SCRIPT_ERRORS)) return undefined;
  return scriptError(match[1] as ScriptErrorCode, queue, match[2] === undefined ? [] : (JSON.parse(match[2]) as string[]));
}
