#!/usr/bin/env node
import { runCli } from './run-cli';

/** The `mindtrace-jobs` executable (package.json "bin"): `mindtrace-jobs --help`. */
void runCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(`${text}\n`),
  stderr: (text) => process.stderr.write(`${text}\n`),
  env: process.env,
}).then((code) => {
  // exitCode, not exit(): stdout is flushed before the process ends, even into a pipe.
  process.exitCode = code;
  // A connection that fails to close must not keep an operator's shell waiting; unref'd, this timer
  // alone never holds the process.
  setTimeout(() => process.exit(code), 3_000).unref();
});
