import type { CliCommand } from './cli-command';
import { deadCommand } from './dead.command';
import { jobCommand } from './job.command';
import { jobsCommand } from './jobs.command';
import { pauseCommand } from './pause.command';
import { purgeDeadCommand } from './purge-dead.command';
import { queuesCommand } from './queues.command';
import { redriveCommand } from './redrive.command';
import { resumeCommand } from './resume.command';
import { schedulesCommand } from './schedules.command';
import { statsCommand } from './stats.command';
import { unscheduleCommand } from './unschedule.command';

export type { CliCommand, CliOption, CommandInput } from './cli-command';

/** Every command of `mindtrace-jobs`, in the order --help lists them. */
export const COMMANDS: readonly CliCommand[] = [
  queuesCommand,
  statsCommand,
  jobsCommand,
  deadCommand,
  redriveCommand,
  purgeDeadCommand,
  jobCommand,
  pauseCommand,
  resumeCommand,
  schedulesCommand,
  unscheduleCommand,
];
