import type { Orchestrator } from '../../orchestrator/orchestrator';
import type { CommandOutput } from '../output';

/** One option of a command, as node:util's parseArgs takes it, with the words its --help shows. */
export interface CliOption {
  type: 'string' | 'boolean';
  multiple?: boolean;
  /** Shown after the flag in --help, e.g. `ID`. */
  value?: string;
  description: string;
}

/** What a command gets to run: the orchestrator over the chosen backend, its arguments and options. */
export interface CommandInput {
  orchestrator: Orchestrator;
  /** The arguments after the command's name: as many as `args` names, then up to as many as `optionalArgs` names. */
  args: string[];
  options: Record<string, string | boolean | string[] | undefined>;
}

/** A subcommand of `mindtrace-jobs`: its name, arguments, options and help, and what it does. */
export interface CliCommand {
  name: string;
  /** Names of its positional arguments, e.g. ['queue']. */
  args: readonly string[];
  /** Names of positional arguments that may follow `args`, e.g. ['queue'] for `schedules [queue]`. */
  optionalArgs?: readonly string[];
  summary: string;
  options: Readonly<Record<string, CliOption>>;
  /** More lines for its --help: what it shows on each backend, what it changes. */
  details?: string;
  run(input: CommandInput): Promise<CommandOutput>;
}
