import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { run, runOk, userEnv, type CommandResult } from './command';

/**
 * An app a user would make, written into its own folder. Installs go to the npm registry the user's
 * npm config names, with no flag that loosens peer checks (no --legacy-peer-deps, no --force);
 * --prefer-offline only lets npm's cache answer what it already holds.
 */
export class ScratchApp {
  private server: ChildProcess | null = null;

  constructor(
    readonly dir: string,
    files: Record<string, string>,
  ) {
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
  }

  install(): Promise<CommandResult> {
    return run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund'], this.dir);
  }

  /** `npm ls --all`: exits non-zero when a peer is missing or outside its range, or the tree is invalid. */
  listTree(): Promise<CommandResult> {
    return run('npm', ['ls', '--all'], this.dir);
  }

  exec(command: string, args: readonly string[]): Promise<string> {
    return runOk(command, args, this.dir);
  }

  node(script: string): Promise<CommandResult> {
    return run(process.execPath, [script], this.dir);
  }

  /** Starts a server and resolves with the port it prints as `listening on <port>`; rejects if it exits first. */
  startServer(script: string): Promise<number> {
    const child = spawn(process.execPath, [script], { cwd: this.dir, env: userEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    this.server = child;
    let output = '';
    return new Promise((resolve, reject) => {
      const onData = (chunk: Buffer): void => {
        output += chunk.toString();
        const port = /listening on (\d+)/.exec(output)?.[1];
        if (port) resolve(Number(port));
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`${script} exited with ${code} before listening:\n${output}`)));
    });
  }

  /** Stops the server the way a process manager does (SIGTERM), killing it if it has not exited after a generous wait. */
  async stopServer(): Promise<void> {
    const child = this.server;
    this.server = null;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const hangGuard = setTimeout(() => child.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(hangGuard);
  }
}
