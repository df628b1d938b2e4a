import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalClient, Orchestrator } from '../../lib';
import { FnConsumer, taskSchema } from '../conformance/conformance.fixtures';

/** What a file-backed LocalClient holds survives the client (and its process) closing and a new one opening the file. */
const dir = mkdtempSync(join(tmpdir(), 'jobs-restart-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('waiting, delayed, held, completed and dead jobs are all there after the file is opened again', async () => {
  const path = join(dir, 'restart.db');
  const queue = 'restart';
  const before = new Orchestrator(new LocalClient({ path }));
  await before.register(taskSchema(queue));
  const done = await before.publish(queue, { label: 'done' });
  const failing = await before.publish(queue, { label: 'fails' });
  const finisher = new FnConsumer(queue, (job) => {
    if (job.payload.label === 'fails') throw new Error('broken for good');
  });
  finisher.connect(before);
  expect(await finisher.consume(2)).toBe(2);
  const held = await before.publish(queue, { label: 'held' });
  const [delivery] = await before.backend.fetch(queue, 1, { wait: false, leaseMs: 200 });
  expect(delivery.job.id).toBe(held);
  const waiting = await before.publish(queue, { label: 'waiting' });
  const later = await before.publish(queue, { label: 'later' }, { delay: 3_600_000 });
  // Closed with the held job unsettled, as a killed process would leave it.
  await before.close();

  const after = new Orchestrator(new LocalClient({ path }));
  await after.register(taskSchema(queue));
  expect(await after.backend.queueType(queue)).toBe('fifo');
  expect(await after.getJob(done)).toMatchObject({ status: 'completed', result: { echoed: 'done' } });
  expect(await after.waitForResult(done, { timeout: 5000 })).toEqual({ echoed: 'done' });
  expect((await after.deadLetters(queue)).map((d) => [d.job.id, d.error.message])).toEqual([[failing, 'broken for good']]);
  expect(await after.getJob(later)).toMatchObject({ status: 'delayed' });
  expect(await after.queueStats(queue)).toEqual({ waiting: 1, delayed: 1, active: 1, completed: 1, dead: 1, paused: false });

  // The waiting job is there to take; the held one comes back once its lease ran out, as a second attempt after a stall.
  const [next] = await after.backend.fetch(queue, 1, { wait: false, leaseMs: 30_000 });
  expect(next.job.id).toBe(waiting);
  const [again] = await after.backend.fetch(queue, 1, { wait: true, leaseMs: 30_000 });
  expect(again).toMatchObject({ job: { id: held, attempt: 2 }, stalls: 1 });
  await after.close();
});
