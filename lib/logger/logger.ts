import { consoleJobsLogger, silentJobsLogger } from './console-jobs-logger';
import type { JobsLogger } from './jobs-logger.interface';

/** The one the user chose with useJobsLogger; it wins over any default. */
let chosen: JobsLogger | null = null;
/** Console, until a Nest app's JobsModule makes Nest's Logger the default. */
let fallback: JobsLogger = consoleJobsLogger;

/** Sends every log line of this library to `logger`; `false` silences them. */
export function useJobsLogger(logger: JobsLogger | false): void {
  chosen = logger === false ? silentJobsLogger : logger;
}

/** The Nest layer's hook: inside a Nest app lines go through Nest's Logger, unless the user chose one. */
export function setDefaultJobsLogger(logger: JobsLogger): void {
  fallback = logger;
}

/**
 * The logger each part of the library holds. It looks the destination up at every line, so a logger
 * chosen after a client was made still gets that client's lines.
 */
export class Logger {
  constructor(readonly context: string) {}

  log(message: string): void {
    (chosen ?? fallback).log(message, this.context);
  }

  warn(message: string): void {
    (chosen ?? fallback).warn(message, this.context);
  }

  error(message: string): void {
    (chosen ?? fallback).error(message, this.context);
  }
}
