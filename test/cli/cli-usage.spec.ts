import { readFileSync } from 'node:fs';
import { BUILT_BIN, buildCli, cli, packageJson } from './fixtures/built-cli';

// The built binary, run as a user would: help, and every way a command line can be wrong (exit 2),
// none of which needs a server.
beforeAll(() => buildCli(), 240_000);

describe('mindtrace-jobs: the command line', () => {
  it("is the package's bin, an executable script with a node shebang", () => {
    expect(packageJson().bin).toEqual({ 'mindtrace-jobs': 'dist/lib/cli/main.js' });
    expect(readFileSync(BUILT_BIN, 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node');
  });

  it('--help lists every command, the backend options and the exit codes, and exits 0', async () => {
    const { code, stdout } = await cli(['--help']);
    expect(code).toBe(0);
    for (const command of [
      'queues',
      'stats <queue>',
      'jobs <queue>',
      'dead <queue>',
      'redrive <queue>',
      'purge-dead <queue>',
      'job <id>',
      'pause <queue>',
      'resume <queue>',
      'schedules [queue]',
    ])
      expect(stdout).toContain(`  ${command}`);
    for (const option of ['--redis URL', '--amqp URL', '--local PATH', '--json']) expect(stdout).toContain(option);
    expect(stdout).toMatch(/Exit codes:\n {2}0 {2}done/);
  });

  it("<command> --help shows that command's own options", async () => {
    const { code, stdout } = await cli(['redrive', '--help']);
    expect(code).toBe(0);
    expect(stdout).toContain('Usage: mindtrace-jobs redrive <queue>');
    expect(stdout).toContain('--id ID');
    expect(stdout).toContain('--all');
    expect((await cli(['jobs', '--help'])).stdout).toContain('--state STATE');
  });

  it('no command: the help on stderr, exit 2', async () => {
    const { code, stdout, stderr } = await cli([]);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain('Commands:');
  });

  it.each([
    [['frob'], 'unknown command "frob"'],
    [['stats'], 'stats takes <queue>, got none'],
    [['stats', 'a', 'b', '--redis', 'redis://127.0.0.1:1'], 'stats takes <queue>, got "a" "b"'],
    [['stats', 'q', '--stat'], "Unknown option '--stat'"],
    [['schedules', 'a', 'b', '--redis', 'redis://127.0.0.1:1'], 'schedules takes [queue], got "a" "b"'],
    [['pause', '--redis', 'redis://127.0.0.1:1'], 'pause takes <queue>, got none'],
    [['stats', 'q', '--all', '--redis', 'redis://127.0.0.1:1'], 'stats takes no --all'],
    [['stats', 'q', '--redis', 'redis://a', '--amqp', 'amqp://b'], 'name one backend, got --redis and --amqp'],
    [['stats', 'q'], 'no backend named — pass --redis URL, --amqp URL or --local PATH'],
    [['redrive', 'q', '--redis', 'redis://127.0.0.1:1'], 'redrive needs --id ID (one or more) or --all'],
    [['redrive', 'q', '--all', '--id', 'x', '--redis', 'redis://127.0.0.1:1'], 'redrive needs --id ID (one or more) or --all, not both'],
    [['purge-dead', 'q', '--redis', 'redis://127.0.0.1:1'], 'add --yes to confirm'],
    [['jobs', 'q', '--redis', 'redis://127.0.0.1:1'], 'jobs needs --state'],
    [['jobs', 'q', '--state', 'dead', '--limit', 'ten', '--redis', 'redis://127.0.0.1:1'], '--limit must be a whole number, got "ten"'],
    [
      ['jobs', 'q', '--state', 'finished', '--redis', 'redis://127.0.0.1:1'],
      'option "state" must be one of waiting, delayed, active, failed, completed, dead',
    ],
    [['stats', 'q', '--local', '/tmp/x.db', '--prefix', 'p'], '--prefix is for --redis and --amqp'],
    [['stats', 'q', '--redis', 'redis://127.0.0.1:1', '--job-store', 'redis://127.0.0.1:1'], '--job-store is for RabbitMQ'],
  ])('%j exits 2 saying what to type', async (args, message) => {
    const { code, stdout, stderr } = await cli(args);
    expect({ code, stdout }).toEqual({ code: 2, stdout: '' });
    expect(stderr).toContain(message);
  });

  it('refuses to guess between backends named in the environment', async () => {
    const { code, stderr } = await cli(['stats', 'q'], { REDIS_URL: 'redis://127.0.0.1:1', RABBITMQ_URL: 'amqp://127.0.0.1:1' });
    expect(code).toBe(2);
    expect(stderr).toContain('the environment names several backends (REDIS_URL, RABBITMQ_URL)');
  });

  it('with --json a failure is JSON on stderr, with its exit code', async () => {
    const { code, stdout, stderr } = await cli(['redrive', 'q', '--json', '--redis', 'redis://127.0.0.1:1']);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(JSON.parse(stderr)).toEqual({
      error: { name: 'UsageError', message: expect.stringContaining('redrive needs --id'), exitCode: 2 },
    });
  });
});
