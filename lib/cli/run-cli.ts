import { useJobsLogger } from '../logger/logger';
import { Orchestrator } from '../orchestrator/orchestrator';
import { backendFrom } from './backend-choice';
import { parseCommandLine } from './cli-args';
import { EXIT, exitCodeOf } from './exit-codes';
import { commandHelp, generalHelp } from './help';
import { printable } from './output';

/** Where the CLI writes and what it reads, so it runs the same in a process and in a test. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  env: NodeJS.ProcessEnv;
}

/**
 * Runs one command line and resolves with the exit code (exit-codes.ts). Output goes to stdout (a
 * table, or JSON with --json); errors and the library's log lines to stderr, so stdout stays parseable.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  // Known before parsing, so that a bad command line is reported as JSON too.
  const json = argv.includes('--json');
  useJobsLogger({
    log: (message, context) => io.stderr(`[jobs] ${context}: ${message}`),
    warn: (message, context) => io.stderr(`[jobs] WARN ${context}: ${message}`),
    error: (message, context) => io.stderr(`[jobs] ERROR ${context}: ${message}`),
  });
  let orchestrator: Orchestrator | undefined;
  try {
    const line = parseCommandLine(argv);
    if (!line.command) {
      if (line.options.help) return done(io, generalHelp());
      io.stderr(generalHelp());
      return EXIT.usage;
    }
    if (line.options.help) return done(io, commandHelp(line.command));
    orchestrator = new Orchestrator(backendFrom(line.options, io.env));
    const output = await line.command.run({ orchestrator, args: line.args, options: line.options });
    return done(io, json ? JSON.stringify(output.json, null, 2) : output.text);
  } catch (error) {
    const code = exitCodeOf(error);
    const { name, message } = error instanceof Error ? error : { name: 'Error', message: String(error) };
    io.stderr(json ? JSON.stringify({ error: { name, message, exitCode: code } }) : `mindtrace-jobs: ${printable(message)}`);
    return code;
  } finally {
    await orchestrator?.close().catch(() => undefined);
  }
}

function done(io: CliIo, text: string): number {
  io.stdout(text);
  return EXIT.ok;
}
