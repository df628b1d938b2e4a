import type { JobsLogger } from './jobs-logger.interface';

/**
 * The default outside Nest: one prefixed line per message, warnings and errors on stderr. It writes to
 * the streams rather than through `console`, as Nest's logger does, so a test runner does not wrap
 * every line in a stack trace.
 */
export const consoleJobsLogger: JobsLogger = {
  log: (message, context) => void process.stdout.write(`[jobs] ${context}: ${message}\n`),
  warn: (message, context) => void process.stderr.write(`[jobs] WARN ${context}: ${message}\n`),
  error: (message, context) => void process.stderr.write(`[jobs] ERROR ${context}: ${message}\n`),
};

/** What `useJobsLogger(false)` installs. */
export const silentJobsLogger: JobsLogger = { log: () => {}, warn: () => {}, error: () => {} };
