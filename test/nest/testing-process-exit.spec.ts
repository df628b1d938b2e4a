import { join } from 'node:path';
import { spawnFixture } from '../support/fixture-process';

/** Far longer than the child needs; only a process that something keeps alive reaches it. */
const HANG_GUARD_MS = 30_000;

describe('a process whose Nest app on the Local backend is never closed', () => {
  it(
    'exits by itself once its jobs ran: no timer of the library keeps it alive',
    async () => {
      const child = spawnFixture(join(__dirname, 'fixtures/forgets-close.app.ts'), {});
      try {
        const ran = await child.next((message) => message.type === 'ran', 'the job to run');
        expect(ran.result).toEqual({ tripled: 21 });
        let guard: NodeJS.Timeout | undefined;
        const outcome = await Promise.race([
          child.exited,
          new Promise<'still alive'>((resolve) => (guard = setTimeout(() => resolve('still alive'), HANG_GUARD_MS))),
        ]);
        clearTimeout(guard);
        expect(outcome).toBe(0);
      } finally {
        await child.kill();
      }
    },
    HANG_GUARD_MS + 30_000,
  );
});
