import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalClient, Orchestrator } from '../../lib';
import { taskSchema } from '../conformance/conformance.fixtures';
import { spawnFixture } from '../support/fixture-process';

/** Far longer than the child needs; only a process that something keeps alive reaches it. */
const HANG_GUARD_MS = 30_000;
/** Long enough for a process that nothing holds to have exited many times over. */
const IDLE_MS = 1_500;

const dir = mkdtempSync(join(tmpdir(), 'jobs-exit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a process on a file-backed LocalClient that is never closed', () => {
  it(
    'stays alive while its consumer waits for another process to publish, and exits by itself once it stopped',
    async () => {
      const path = join(dir, 'queue.db');
      const queue = 'exit';
      const child = spawnFixture(join(__dirname, 'fixtures', 'forgets-close.ts'), { MT_PATH: path, MT_QUEUE: queue });
      const producer = new Orchestrator(new LocalClient({ path }));
      try {
        await child.next((m) => m.type === 'waiting', 'the consumer to wait');
        // Idle on an empty queue: only the wait on the wake file can hold the child now.
        await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
        expect(child.child.exitCode).toBeNull();
        await producer.register(taskSchema(queue));
        await producer.publish(queue, { label: 'from afar' });
        const ran = await child.next((m) => m.type === 'ran', 'the job to run');
        expect(ran).toMatchObject({ count: 1, result: { echoed: 'from afar ran' } });

        let guard: NodeJS.Timeout | undefined;
        const outcome = await Promise.race([
          child.exited,
          new Promise<'still alive'>((resolve) => (guard = setTimeout(() => resolve('still alive'), HANG_GUARD_MS))),
        ]);
        clearTimeout(guard);
        expect(outcome).toBe(0);
      } finally {
        await child.kill();
        await producer.close();
      }
    },
    HANG_GUARD_MS + 60_000,
  );
});
