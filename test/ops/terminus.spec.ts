import 'reflect-metadata';
import { Controller, Get, Header, Module, type INestApplication } from '@nestjs/common';
import { HealthCheck, HealthCheckService, TerminusModule } from '@nestjs/terminus';
import { Test } from '@nestjs/testing';
import { Registry } from 'prom-client';
import request from 'supertest';
import { Consumer, JobMetrics, JobsHealthIndicator, JobsModule, LocalClient, Orchestrator, Run, type Job } from '../../lib';
import { taskSchema, type TaskInput } from '../conformance/conformance.fixtures';

/**
 * The Nest wiring an operator uses: Terminus's /health with JobsHealthIndicator (its HealthIndicatorService
 * API), and /metrics from a JobMetrics given to JobsModule. A consumer whose only slot hangs while a
 * job waits turns /health into a 503 naming the queue and the consumer.
 */
const QUEUE = 'ops-terminus';
const registry = new Registry();
let openGate!: () => void;
const gate = new Promise<void>((resolve) => (openGate = resolve));

@Consumer(QUEUE)
class GatedConsumer {
  @Run()
  async run(job: Job<TaskInput>): Promise<{ echoed: string }> {
    if (job.payload.label === 'hang') await gate;
    return { echoed: job.payload.label };
  }
}

@Controller()
class OpsController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly jobs: JobsHealthIndicator,
  ) {}

  @Get('health')
  @HealthCheck()
  check() {
    return this.health.check([() => this.jobs.isHealthy('jobs', { maxIdleMs: 50 })]);
  }

  @Get('metrics')
  @Header('content-type', registry.contentType)
  metrics(): Promise<string> {
    return registry.metrics();
  }
}

@Module({
  imports: [
    JobsModule.forRoot({
      backend: () => new LocalClient(),
      schemas: [taskSchema(QUEUE)],
      instrumentation: [new JobMetrics({ registry, statsMaxAgeMs: 0 })],
    }),
    TerminusModule.forRoot({ logger: false }),
  ],
  controllers: [OpsController],
  providers: [GatedConsumer, JobsHealthIndicator],
})
class OpsAppModule {}

describe('JobsHealthIndicator with @nestjs/terminus, and JobMetrics in JobsModule', () => {
  let app: INestApplication;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({ imports: [OpsAppModule] }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
  });
  afterAll(async () => {
    openGate();
    await app?.close();
  });

  it("/health is 200 with the jobs' details while the consumer takes jobs", async () => {
    const response = await request(app.getHttpServer()).get('/health');
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      status: 'ok',
      info: {
        jobs: {
          status: 'up',
          backend: { name: 'LocalClient', status: 'up' },
          consumers: [{ queue: QUEUE, consumer: 'GatedConsumer', status: 'up', state: 'running' }],
        },
      },
    });
  });

  it('/health is 503 naming the queue and the consumer once its only slot hangs while a job waits, and /metrics shows it', async () => {
    const orchestrator = app.get(Orchestrator);
    await orchestrator.publish(QUEUE, { label: 'hang' });
    await orchestrator.publish(QUEUE, { label: 'waits' });
    let response: request.Response;
    do response = await request(app.getHttpServer()).get('/health');
    while (response.status === 200);
    expect(response.status).toBe(503);
    expect(response.body.error.jobs).toMatchObject({
      status: 'down',
      backend: { status: 'up' },
      consumers: [{ queue: QUEUE, consumer: 'GatedConsumer', status: 'down', reason: expect.stringContaining('has taken no job') }],
      queues: [{ queue: QUEUE, waiting: 1 }],
    });
    const metrics = await request(app.getHttpServer()).get('/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.text).toContain(`mindtrace_jobs_published_total{queue="${QUEUE}"} 2`);
    expect(metrics.text).toContain(`mindtrace_jobs_waiting{queue="${QUEUE}"} 1`);

    openGate();
    do response = await request(app.getHttpServer()).get('/health');
    while (response.status !== 200);
    expect(response.body.info.jobs.consumers).toEqual([expect.objectContaining({ status: 'up' })]);
    expect((await request(app.getHttpServer()).get('/metrics')).text).toContain(`mindtrace_jobs_completed_total{queue="${QUEUE}"} 2`);
  });
});
