import { parseArgs, type ParseArgsConfig } from 'node:util';
import { GLOBAL_OPTIONS } from './cli-options';
import { COMMANDS, type CliCommand, type CliOption } from './commands';
import { UsageError } from './usage.error';

/** A command line taken apart: the command (null for none), its arguments, and every option given. */
export interface CommandLine {
  command: CliCommand | null;
  args: string[];
  options: Record<string, string | boolean | string[] | undefined>;
}

/**
 * Parses with node:util's parseArgs, strictly, over every option any command knows (so options may
 * come before or after the command), then refuses an option the chosen command does not take, a
 * missing or extra argument, and an unknown command.
 */
export function parseCommandLine(argv: readonly string[]): CommandLine {
  const all: Record<string, CliOption> = { ...GLOBAL_OPTIONS };
  for (const command of COMMANDS) Object.assign(all, command.options);
  let parsed: { values: Record<string, string | boolean | (string | boolean)[] | undefined>; positionals: string[] };
  try {
    parsed = parseArgs({ args: [...argv], options: toParseArgs(all), allowPositionals: true, strict: true });
  } catch (error) {
    // parseArgs says what is wrong ("Unknown option '--stat'"); the advice is ours.
    throw new UsageError(`${(error as Error).message} — see --help`);
  }
  const { values, positionals } = parsed;
  const [name, ...args] = positionals;
  const options = values as CommandLine['options'];
  if (name === undefined) return { command: null, args: [], options };
  const command = COMMANDS.find((candidate) => candidate.name === name);
  if (!command) throw new UsageError(`unknown command "${name}" — one of ${COMMANDS.map((c) => c.name).join(', ')} (see --help)`);
  if (options.help) return { command, args, options };
  for (const option of Object.keys(options)) {
    if (!(option in GLOBAL_OPTIONS) && !(option in command.options))
      throw new UsageError(`${command.name} takes no --${option} (see ${command.name} --help)`);
  }
  const optional = command.optionalArgs ?? [];
  if (args.length < command.args.length || args.length > command.args.length + optional.length) {
    const named = [...command.args.map((arg) => `<${arg}>`), ...optional.map((arg) => `[${arg}]`)];
    const wanted = named.length === 0 ? 'no arguments' : named.join(' ');
    throw new UsageError(
      `${command.name} takes ${wanted}, got ${args.length === 0 ? 'none' : args.map((arg) => JSON.stringify(arg)).join(' ')}`,
    );
  }
  return { command, args, options };
}

function toParseArgs(options: Record<string, CliOption>): NonNullable<ParseArgsConfig['options']> {
  return Object.fromEntries(Object.entries(options).map(([name, { type, multiple }]) => [name, { type, ...(multiple && { multiple }) }]));
}
