import { Injectable, Module, UnauthorizedException, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { InMemoryJobStateStore, InvalidOptionError, LocalClient } from '../../lib';
import { JobsDashboardModule } from '../../lib/dashboard';
import { RabbitMQTestClients, testPrefix } from '../rabbitmq/fixtures/rabbitmq-test-kit';
import { requireServer } from '../support/servers';
import { publishDeadLetter, startDashboardApp, TASKS, type DashboardApp } from './support/dashboard-app';

/** The dashboard's JSON API over HTTP: its answers, its refusals, and who may call it. */
let running: DashboardApp | undefined;

afterEach(async () => {
  await running?.app.close();
  running = undefined;
});

async function start(...args: Parameters<typeof startDashboardApp>): Promise<DashboardApp> {
  running = await startDashboardApp(...args);
  return running;
}

const API = `/dashboard/api/queues/${TASKS}`;

describe('dashboard API: reads', () => {
  it("answers the overview with every queue, its counts and this app's consumers", async () => {
    const { app, orchestrator } = await start(() => new LocalClient());
    await publishDeadLetter(orchestrator, 'x');
    const { body } = await request(app.getHttpServer()).get('/dashboard/api/overview').expect(200);
    expect(body).toMatchObject({
      backend: 'LocalClient',
      readOnly: false,
      queueSource: 'backend',
      listableStates: ['waiting', 'delayed', 'active', 'failed', 'completed', 'dead'],
      capabilities: { pause: true, schedules: true },
    });
    expect(body.queues).toEqual([
      {
        name: TASKS,
        type: 'fifo',
        counts: { waiting: 0, delayed: 0, active: 0, completed: 0, dead: 1 },
        paused: false,
        consumers: [expect.objectContaining({ consumer: 'FlakyTaskConsumer', state: 'running', concurrency: 1 })],
      },
    ]);
  });

  it("pages a state's jobs with offset and limit, and totals the whole state", async () => {
    const { app, orchestrator } = await start(() => new LocalClient());
    const ids = [];
    for (const label of ['a', 'b', 'c']) ids.push(await publishDeadLetter(orchestrator, label));
    const { body } = await request(app.getHttpServer()).get(`${API}/jobs?state=dead&offset=1&limit=1`).expect(200);
    expect(body.total).toBe(3);
    expect(body.jobs.map((job: { id: string }) => job.id)).toEqual([ids[1]]);
  });

  it("answers 404 for an unknown job or queue and 400 for a bad listing, each with the library's message", async () => {
    const { app } = await start(() => new LocalClient());
    const http = request(app.getHttpServer());
    expect((await http.get('/dashboard/api/jobs/no-such-job').expect(404)).body).toMatchObject({
      error: 'JobNotFoundError',
      message: expect.stringContaining('Job no-such-job is unknown'),
    });
    expect((await http.get('/dashboard/api/queues/nowhere').expect(404)).body).toMatchObject({
      error: 'QueueNotDeclaredError',
      message: expect.stringContaining('"nowhere" is not declared'),
    });
    expect((await http.get(`${API}/jobs?state=lost`).expect(400)).body.message).toContain(
      'must be one of waiting, delayed, active, failed, completed, dead, got "lost"',
    );
    expect((await http.get(`${API}/jobs?state=dead&offset=-1`).expect(400)).body.message).toContain(
      'option "offset" must be a whole number, got "-1"',
    );
    expect((await http.get(`${API}/jobs`).expect(400)).body.message).toContain('option "state" is required');
  });
});

describe('dashboard API: changes', () => {
  it('redrives the ids named, and every dead letter only on { all: true }', async () => {
    const { app, orchestrator, failure } = await start(() => new LocalClient());
    const first = await publishDeadLetter(orchestrator, 'a');
    await publishDeadLetter(orchestrator, 'b');
    await publishDeadLetter(orchestrator, 'c');
    failure.failing = false;
    const http = request(app.getHttpServer());

    expect((await http.post(`${API}/redrive`).send({}).expect(400)).body.message).toContain(
      'send { "ids": ["<job id>"] }, or { "all": true } for every dead letter',
    );
    expect((await orchestrator.queueStats(TASKS)).dead).toBe(3);
    expect(
      (
        await http
          .post(`${API}/redrive`)
          .send({ ids: [first] })
          .expect(200)
      ).body,
    ).toEqual({ redriven: 1 });
    await orchestrator.waitForResult(first, { timeout: 15_000 });
    expect((await http.post(`${API}/redrive`).send({ all: true }).expect(200)).body).toEqual({ redriven: 2 });
  });

  it('purges the dead letters', async () => {
    const { app, orchestrator } = await start(() => new LocalClient());
    await publishDeadLetter(orchestrator, 'a');
    expect((await request(app.getHttpServer()).post(`${API}/purge-dead`).send({}).expect(200)).body).toEqual({ purged: 1 });
    expect((await orchestrator.queueStats(TASKS)).dead).toBe(0);
  });

  it('refuses a change sent as a form (415) or from another site (403), and moves nothing', async () => {
    const { app, orchestrator } = await start(() => new LocalClient());
    const id = await publishDeadLetter(orchestrator, 'a');
    const http = request(app.getHttpServer());

    const form = await http.post(`${API}/redrive`).type('form').send({ 'ids[]': id }).expect(415);
    expect(form.body.message).toContain(
      'takes changes as JSON only (Content-Type: application/json, got application/x-www-form-urlencoded)',
    );
    await http
      .post(`${API}/redrive`)
      .set('Content-Type', 'text/plain')
      .send(JSON.stringify({ ids: [id] }))
      .expect(415);
    const crossSite = await http.post(`${API}/purge-dead`).set('Sec-Fetch-Site', 'cross-site').send({}).expect(403);
    expect(crossSite.body.message).toContain('refuses a cross-site request to change jobs');
    await http.post(`${API}/purge-dead`).set('Sec-Fetch-Site', 'same-site').send({}).expect(403);
    await http.post(`${API}/pause`).type('form').send({}).expect(415);
    await http.post(`${API}/pause`).set('Sec-Fetch-Site', 'cross-site').send({}).expect(403);
    expect((await orchestrator.getJob(id))?.status).toBe('dead');
    expect((await orchestrator.queueStats(TASKS)).paused).toBe(false);
  });

  it('pauses and resumes a queue, and lists the schedules with their next run', async () => {
    const { app, orchestrator } = await start(() => new LocalClient());
    const http = request(app.getHttpServer());
    const nightly = await orchestrator.schedule(TASKS, 'nightly', { cron: '0 3 * * *', tz: 'Europe/Berlin' }, { label: 'report' });

    expect((await http.post(`${API}/pause`).send({}).expect(200)).body).toEqual({ paused: true });
    expect((await orchestrator.queueStats(TASKS)).paused).toBe(true);
    expect((await http.get(API).expect(200)).body.paused).toBe(true);
    expect((await http.post(`${API}/resume`).send({}).expect(200)).body).toEqual({ paused: false });
    expect((await orchestrator.queueStats(TASKS)).paused).toBe(false);
    expect((await http.post(`${API}/pause`).send({ now: true }).expect(400)).body.message).toContain(
      'option "body.now" is not a known option',
    );

    expect((await http.get('/dashboard/api/schedules').expect(200)).body).toEqual([
      {
        queue: TASKS,
        key: 'nightly',
        cron: '0 3 * * *',
        tz: 'Europe/Berlin',
        nextRunAt: nightly.nextRunAt.toISOString(),
        payload: { label: 'report' },
        priority: 0,
        updatedAt: nightly.updatedAt.toISOString(),
      },
    ]);
  });

  it('with readOnly, reads but refuses every change with 403', async () => {
    const { app, orchestrator } = await start(() => new LocalClient(), { path: 'dashboard', readOnly: true });
    const id = await publishDeadLetter(orchestrator, 'a');
    const http = request(app.getHttpServer());
    expect((await http.get('/dashboard/api/overview').expect(200)).body.readOnly).toBe(true);
    expect(
      (
        await http
          .post(`${API}/redrive`)
          .send({ ids: [id] })
          .expect(403)
      ).body.message,
    ).toContain('read-only');
    await http.post(`${API}/purge-dead`).send({}).expect(403);
    await http.post(`${API}/pause`).send({}).expect(403);
    expect((await orchestrator.getJob(id))?.status).toBe('dead');
    expect((await orchestrator.queueStats(TASKS)).paused).toBe(false);
  });
});

/** Lets a request through only with `Authorization: Bearer <token>`. */
function bearerGuard(token: string): CanActivate {
  return {
    canActivate(context: ExecutionContext): boolean {
      const { headers } = context.switchToHttp().getRequest<{ headers: Record<string, string | undefined> }>();
      if (headers.authorization !== `Bearer ${token}`) throw new UnauthorizedException('sign in');
      return true;
    },
  };
}

@Injectable()
class AppAuthGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    return bearerGuard('user').canActivate(context) as boolean;
  }
}

describe('dashboard API: guards', () => {
  it("is behind the app's global guards, page and API alike", async () => {
    const { app } = await start(() => new LocalClient(), { path: 'dashboard' }, [{ provide: APP_GUARD, useClass: AppAuthGuard }]);
    const http = request(app.getHttpServer());
    await http.get('/dashboard').expect(401);
    await http.get('/dashboard/api/overview').expect(401);
    await http.post(`${API}/purge-dead`).send({}).expect(401);
    await http.get('/dashboard/api/overview').set('Authorization', 'Bearer user').expect(200);
  });

  it('runs the guards given in its options on its own routes only', async () => {
    const { app } = await start(() => new LocalClient(), { path: 'admin/jobs', guards: [bearerGuard('admin')] });
    const http = request(app.getHttpServer());
    await http.get('/admin/jobs/api/overview').expect(401);
    await http.get('/admin/jobs/api/overview').set('Authorization', 'Bearer admin').expect(200);
    const page = await http.get('/admin/jobs').set('Authorization', 'Bearer admin').expect(200);
    expect(page.text).toContain('<script src="/admin/jobs/assets/dashboard.js" defer></script>');
  });
});

describe('dashboard API: set-up', () => {
  it('refuses bad options where the module is declared, naming the option', () => {
    expect(() => JobsDashboardModule.forRoot({ readonly: true } as never)).toThrow(
      new InvalidOptionError('JobsDashboardModule.forRoot', 'readonly', 'is not a known option (known: path, readOnly, guards)'),
    );
    expect(() => JobsDashboardModule.forRoot({ path: 'a b' })).toThrow(InvalidOptionError);
    expect(() => JobsDashboardModule.forRoot({ readOnly: 'yes' as never })).toThrow('option "readOnly" must be true or false, got "yes"');
  });

  it('says to import JobsModule when the app has none', async () => {
    @Module({ imports: [JobsDashboardModule.forRoot()] })
    class WithoutJobs {}
    const built = Test.createTestingModule({ imports: [WithoutJobs] }).compile();
    await expect(built).rejects.toThrow('found no Orchestrator: import JobsModule.forRoot({ backend }) in the same app');
  });
});

describe('dashboard API on RabbitMQ', () => {
  const rabbit = new RabbitMQTestClients({ prefix: testPrefix('dashboard-api') });

  beforeAll(async () => {
    await requireServer('rabbitmq');
  });

  afterAll(async () => {
    await rabbit.deleteDeclaredQueues();
  });

  it("lists the app's queues, lists dead letters, and answers 501 naming what it can list for another state", async () => {
    const { app, orchestrator } = await start(() => rabbit.create({ jobStore: new InMemoryJobStateStore() }));
    const id = await publishDeadLetter(orchestrator, 'a');
    const http = request(app.getHttpServer());
    const { body } = await http.get('/dashboard/api/overview').expect(200);
    expect(body).toMatchObject({ backend: 'RabbitMQClient', queueSource: 'app', listableStates: ['dead'] });
    expect(body.queues.map((queue: { name: string }) => queue.name)).toEqual([TASKS]);
    expect((await http.get(`${API}/jobs?state=dead`).expect(200)).body.jobs.map((job: { id: string }) => job.id)).toEqual([id]);
    expect((await http.get(`${API}/jobs?state=waiting`).expect(501)).body.message).toContain('it lists dead jobs only');
  });
});
