import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalClient, Orchestrator } from '../../lib';
import { taskSchema } from '../conformance/conformance.fixtures';
import { spawnFixture } from '../support/fixture-process';

/** A move finding another process holding the file's write lock waits for it (briefly) instead of failing. */
const dir = mkdtempSync(join(tmpdir(), 'jobs-lock-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('a publish while another process holds the write lock waits for it, then enqueues the job', async () => {
  const path = join(dir, 'queue.db');
  const queue = 'locked';
  const orchestrator = new Orchestrator(new LocalClient({ path }));
  try {
    await orchestrator.register(taskSchema(queue));
    const holder = spawnFixture(join(__dirname, 'fixtures', 'lock-holder.ts'), { MT_PATH: path, MT_HOLD_MS: '300' });
    await holder.next((m) => m.type === 'locked', 'the other process to hold the lock');
    const id = await orchestrator.publish(queue, { label: 'after the lock' });
    expect(await holder.exited).toBe(0);
    expect(holder.messages.map((m) => m.type)).toEqual(['locked', 'released']);
    expect(await orchestrator.getJob(id)).toMatchObject({ status: 'waiting' });
  } finally {
    await orchestrator.close();
  }
}, 60_000);
