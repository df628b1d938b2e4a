import { Injectable } from '@nestjs/common';
import { Consumer, JobsModule, LocalClient, Orchestrator, Run, type Job, type RunContext } from '../../lib';
import { bootJobsApp, closeAll, closeApp } from './support/jobs-test-app';
import { tickSchema, type TickInput } from './support/tick.schema';

/** A promise plus the function that resolves it, so the test decides when a run may finish. */
function gate(): { opened: Promise<void>; open: () => void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

/** True if `promise` settled within `ms` — used only to show that something has NOT happened yet. */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let settled = false;
  void promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  await new Promise((resolve) => setTimeout(resolve, ms));
  return settled;
}

/** Resolves with the id of the next job that becomes active on `queue`. */
function nextActive(orchestrator: Orchestrator, queue: string): Promise<string> {
  return new Promise((resolve) => {
    const off = orchestrator.events.on('active', (event) => {
      if (event.queue !== queue) return;
      off();
      resolve(event.job.id);
    });
  });
}

afterEach(closeAll);

describe('JobsModule graceful shutdown', () => {
  it('app.close() waits for the running job to finish, and the job completes', async () => {
    const queue = 'shutdown-waits';
    const release = gate();
    const finishedRuns: string[] = [];

    @Injectable()
    @Consumer(queue)
    class SlowConsumer {
      @Run()
      async run(job: Job<TickInput>): Promise<{ n: number }> {
        await release.opened;
        finishedRuns.push(job.id);
        return { n: job.payload.n };
      }
    }

    const app = await bootJobsApp(JobsModule.forRoot({ backend: new LocalClient(), schemas: [tickSchema(queue)] }), [SlowConsumer]);
    const orchestrator = app.get(Orchestrator);
    const completed: { id: string; result: unknown }[] = [];
    orchestrator.events.on('completed', (event) => void completed.push({ id: event.job.id, result: event.result }));

    const active = nextActive(orchestrator, queue);
    const id = await orchestrator.publish(queue, { n: 7 });
    expect(await active).toBe(id);
    expect((await orchestrator.getJob(id))?.status).toBe('active');

    const closing = closeApp(app);
    expect(await settlesWithin(closing, 100)).toBe(false);
    expect(finishedRuns).toEqual([]);

    release.open();
    await closing;
    expect(finishedRuns).toEqual([id]);
    expect(completed).toEqual([{ id, result: { n: 7 } }]);
  });

  it('after shutdownTimeout, app.close() resolves and aborts the signal of a run that never finishes', async () => {
    const queue = 'shutdown-times-out';
    const signals: AbortSignal[] = [];

    @Injectable()
    @Consumer(queue)
    class StuckConsumer {
      @Run()
      run(_job: Job<TickInput>, context: RunContext): Promise<never> {
        signals.push(context.signal);
        return new Promise<never>(() => undefined);
      }
    }

    const app = await bootJobsApp(JobsModule.forRoot({ backend: new LocalClient(), schemas: [tickSchema(queue)], shutdownTimeout: 50 }), [
      StuckConsumer,
    ]);
    const orchestrator = app.get(Orchestrator);
    const settled: string[] = [];
    for (const type of ['completed', 'failed', 'dead'] as const) orchestrator.events.on(type, () => void settled.push(type));

    const active = nextActive(orchestrator, queue);
    await orchestrator.publish(queue, { n: 1 });
    await active;
    expect(signals).toHaveLength(1);
    expect(signals[0].aborted).toBe(false);

    await closeApp(app);
    expect(signals[0].aborted).toBe(true);
    // The job was given back to the queue, not settled as a success or a failure.
    expect(settled).toEqual([]);
  });
});
