/** `unschedule` named a schedule the queue does not have (exit 4, like a missing queue or job). */
export class ScheduleNotFoundError extends Error {
  constructor(queue: string, key: string) {
    super(`queue "${queue}" has no schedule "${key}" — \`mindtrace-jobs schedules ${queue}\` lists its schedules`);
    this.name = 'ScheduleNotFoundError';
  }
}
