import type { LoggerService } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { JobEvents, JobsModule, LocalClient, type JobRecord } from '../../lib';

/** A core line: JobEvents logs a listener that throws. */
function logACoreLine(): void {
  const events = new JobEvents();
  events.on('completed', () => {
    throw new Error('listener broke after close');
  });
  events.emit('completed', { queue: 'logged', job: { id: 'j1' } as JobRecord, result: null });
}

describe("the library's logger once a Nest app has closed", () => {
  it("is the library's own again, not Nest's Logger the app installed", async () => {
    const lines: string[] = [];
    const appLogger: LoggerService = {
      log: () => undefined,
      warn: () => undefined,
      error: (message: unknown) => void lines.push(String(message)),
    };
    const moduleRef = await Test.createTestingModule({ imports: [JobsModule.forRoot({ backend: new LocalClient() })] }).compile();
    moduleRef.useLogger(appLogger);
    await moduleRef.init();
    await moduleRef.close();

    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      logACoreLine();
      expect(lines.filter((line) => line.includes('listener broke after close'))).toEqual([]);
      expect(stderr.mock.calls.filter(([text]) => String(text).includes('listener broke after close'))).toHaveLength(1);
    } finally {
      stderr.mockRestore();
    }
  });
});
