import type { AddressInfo } from 'node:net';
import { Injectable, type INestApplication, type Provider } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Consumer, Job, JobsModule, Orchestrator, Run, type JobBackend } from '../../../lib';
import { JobsDashboardModule, type JobsDashboardOptions } from '../../../lib/dashboard';
import { TaskInput, TaskOutput, taskSchema } from '../../conformance/conformance.fixtures';

/** The queue every dashboard test app consumes from. */
export const TASKS = 'dashboard_tasks';

/** Whether FlakyTaskConsumer fails its jobs: on until a test fixes the cause, then a redrive succeeds. */
@Injectable()
export class FailureSwitch {
  failing = true;
}

/** Fails each job once (attempts 1: straight to the dead letters) while the switch is on, with the job's label in the error. */
@Consumer(TASKS, { attempts: 1 })
export class FlakyTaskConsumer {
  constructor(private readonly failure: FailureSwitch) {}

  @Run() run(job: Job<TaskInput>): TaskOutput {
    if (this.failure.failing) throw new Error(`could not process ${job.payload.label}`);
    return { echoed: job.payload.label };
  }
}

export interface DashboardApp {
  app: INestApplication;
  orchestrator: Orchestrator;
  failure: FailureSwitch;
  /** http://127.0.0.1:<port> */
  origin: string;
}

/** A listening Nest app with JobsModule over `backend`, the dashboard at /dashboard (unless `dashboard` says otherwise) and FlakyTaskConsumer. */
export async function startDashboardApp(
  backend: () => JobBackend,
  dashboard: JobsDashboardOptions = { path: 'dashboard' },
  providers: Provider[] = [],
): Promise<DashboardApp> {
  const moduleRef = await Test.createTestingModule({
    imports: [JobsModule.forRoot({ backend, schemas: [taskSchema(TASKS)] }), JobsDashboardModule.forRoot(dashboard)],
    providers: [FailureSwitch, FlakyTaskConsumer, ...providers],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  return { app, orchestrator: app.get(Orchestrator), failure: app.get(FailureSwitch), origin: `http://127.0.0.1:${port}` };
}

/** Publishes a job while the consumer fails, and resolves once it is a dead letter. */
export async function publishDeadLetter(orchestrator: Orchestrator, label: string): Promise<string> {
  const id = await orchestrator.publish(TASKS, { label });
  await expect(orchestrator.waitForResult(id, { timeout: 15_000 })).rejects.toThrow(`could not process ${label}`);
  return id;
}
