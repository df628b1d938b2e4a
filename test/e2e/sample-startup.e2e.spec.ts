import { spawn } from 'node:child_process';
import { join } from 'node:path';

const REPO_ROOT = join(__dirname, '..', '..');

/** Runs sample/main.ts as `npm start` does; resolves with its exit code and everything it printed. */
function runSample(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'sample/main.ts'], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.on('exit', (code) => resolve({ code, output }));
  });
}

describe('sample startup', () => {
  it('exits 1 with one readable line when its Redis does not answer, instead of an unhandled rejection', async () => {
    // Port 1 is closed: the same as a Redis that is down.
    const { code, output } = await runSample({ JOBS_BACKEND: 'redis', REDIS_URL: 'redis://127.0.0.1:1', PORT: '0', NO_COLOR: '1' });
    expect(code).toBe(1);
    expect(output).toMatch(/\[Sample\] could not start: \S/);
    expect(output).not.toMatch(/UnhandledPromiseRejection|triggerUncaughtException/);
  }, 60_000);
});
