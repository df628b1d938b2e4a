import { GLOBAL_OPTIONS } from './cli-options';
import { COMMANDS, type CliCommand, type CliOption } from './commands';

const BIN = 'mindtrace-jobs';

const EXIT_CODES = `Exit codes:
  0  done
  1  the call failed (the message says why)
  2  wrong command line or option (unknown command or option, missing argument, bad value)
  3  the backend cannot be reached or refused the credentials
  4  no such queue or job
  5  the backend cannot do this (e.g. RabbitMQ lists no queues and keeps no schedules; job state needs a job store)`;

/** `mindtrace-jobs --help`: every command in a line, the backend options, the exit codes. */
export function generalHelp(): string {
  const width = Math.max(...COMMANDS.map((command) => usageOf(command).length));
  return [
    `${BIN}: see and fix the queues of @mindtrace/jobs on Redis, RabbitMQ or a Local file.`,
    '',
    `Usage: ${BIN} <command> [arguments] [options]`,
    '',
    'Commands:',
    ...COMMANDS.map((command) => `  ${usageOf(command).padEnd(width)}  ${command.summary}`),
    '',
    'Options:',
    optionLines(GLOBAL_OPTIONS),
    '',
    EXIT_CODES,
    '',
    `Example: ${BIN} dead emails --redis redis://127.0.0.1:6379`,
    `         ${BIN} redrive emails --all --json`,
    `Run \`${BIN} <command> --help\` for a command's options.`,
  ].join('\n');
}

/** `mindtrace-jobs <command> --help`. */
export function commandHelp(command: CliCommand): string {
  const own = Object.keys(command.options).length > 0 ? ['', 'Options:', optionLines(command.options)] : [];
  return [
    `Usage: ${BIN} ${usageOf(command)}${Object.keys(command.options).length > 0 ? ' [options]' : ''} (--redis URL | --amqp URL | --local PATH) [--json]`,
    '',
    `${command.summary[0].toUpperCase()}${command.summary.slice(1)}.`,
    ...(command.details ? [command.details] : []),
    ...own,
    '',
    'Backend and output:',
    optionLines(GLOBAL_OPTIONS),
    '',
    EXIT_CODES,
  ].join('\n');
}

function usageOf(command: CliCommand): string {
  return [command.name, ...command.args.map((arg) => `<${arg}>`), ...(command.optionalArgs ?? []).map((arg) => `[${arg}]`)].join(' ');
}

function optionLines(options: Readonly<Record<string, CliOption>>): string {
  const flags = Object.entries(options).map(
    ([name, option]) => [`--${name}${option.value ? ` ${option.value}` : ''}`, option.description] as const,
  );
  const width = Math.max(...flags.map(([flag]) => flag.length));
  return flags.map(([flag, description]) => `  ${flag.padEnd(width)}  ${description}`).join('\n');
}
