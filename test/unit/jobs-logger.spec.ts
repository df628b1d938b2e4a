import type { LoggerService } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { JobEvents, JobsModule, LocalClient, useJobsLogger, type JobRecord, type JobsLogger } from '../../lib';

/** A core line: JobEvents logs a listener that throws, with the context "JobEvents". */
function logACoreLine(): void {
  const events = new JobEvents();
  events.on('completed', () => {
    throw new Error('listener broke');
  });
  events.emit('completed', { queue: 'logged', job: { id: 'j1' } as JobRecord, result: null });
}

/** Every call made to a logger, as [level, message, context]. */
function recording(): { lines: string[][]; logger: JobsLogger & LoggerService } {
  const lines: string[][] = [];
  const record = (level: string) => (message: unknown, context?: unknown) => void lines.push([level, String(message), String(context)]);
  return { lines, logger: { log: record('log'), warn: record('warn'), error: record('error') } };
}

const coreLine = ['error', expect.stringContaining('A "completed" listener for queue "logged" threw'), 'JobEvents'];

// In order: the Nest default is only the default until a logger is chosen, and choosing cannot be undone.
describe('where the library logs', () => {
  it("in a Nest app with JobsModule, through the app's logger", async () => {
    const app = recording();
    const moduleRef = await Test.createTestingModule({ imports: [JobsModule.forRoot({ backend: new LocalClient() })] }).compile();
    moduleRef.useLogger(app.logger);
    await moduleRef.init();
    try {
      logACoreLine();
      expect(app.lines).toContainEqual(coreLine);
    } finally {
      await moduleRef.close();
    }
  });

  it("to the logger given to useJobsLogger, which wins over Nest's", () => {
    const chosen = recording();
    useJobsLogger(chosen.logger);
    logACoreLine();
    expect(chosen.lines).toEqual([coreLine]);
  });

  it('nowhere after useJobsLogger(false)', () => {
    const stderr = jest.spyOn(process.stderr, 'write');
    const stdout = jest.spyOn(process.stdout, 'write');
    try {
      useJobsLogger(false);
      logACoreLine();
      expect([...stderr.mock.calls, ...stdout.mock.calls].filter(([text]) => String(text).includes('listener broke'))).toEqual([]);
    } finally {
      stderr.mockRestore();
      stdout.mockRestore();
    }
  });
});
