import {
  BrokerAccessRefusedError,
  TransientBackendError,
  InvalidOptionError,
  JobNotFoundError,
  QueueNotDeclaredError,
  UnsupportedCapabilityError,
} from '../errors';
import { ScheduleNotFoundError } from './schedule-not-found.error';
import { UsageError } from './usage.error';

/** What `mindtrace-jobs` exits with, so a script can tell a typo from an outage from a missing job. */
export const EXIT = {
  /** Done. */
  ok: 0,
  /** The call failed for another reason (the message says which). */
  failed: 1,
  /** The command line is wrong: unknown command or option, a missing argument, no backend named. */
  usage: 2,
  /** The backend cannot be reached (or is blocked, or still loading), or refused our credentials. */
  unavailable: 3,
  /** The queue is not declared, or no job or schedule has that id or key. */
  notFound: 4,
  /** The backend cannot do this (RabbitMQ lists no queues and keeps no schedules; job state needs a job store). */
  unsupported: 5,
} as const;

export function exitCodeOf(error: unknown): number {
  if (error instanceof UsageError || error instanceof InvalidOptionError) return EXIT.usage;
  if (error instanceof TransientBackendError || error instanceof BrokerAccessRefusedError) return EXIT.unavailable;
  if (error instanceof QueueNotDeclaredError || error instanceof JobNotFoundError || error instanceof ScheduleNotFoundError)
    return EXIT.notFound;
  if (error instanceof UnsupportedCapabilityError) return EXIT.unsupported;
  return EXIT.failed;
}
