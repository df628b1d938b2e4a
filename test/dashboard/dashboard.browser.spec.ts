import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { InMemoryJobStateStore, LocalClient, RedisClient, type JobBackend } from '../../lib';
import { RabbitMQTestClients, testPrefix } from '../rabbitmq/fixtures/rabbitmq-test-kit';
import { adminConnection, deleteKeysUnder, uniquePrefix } from '../redis/fixtures/redis-test-kit';
import { REDIS_URL, requireServer } from '../support/servers';
import { launchChromium, type HeadlessChromium } from './support/chromium';
import { publishDeadLetter, startDashboardApp, TASKS, type DashboardApp } from './support/dashboard-app';

/**
 * The dashboard in a real browser (headless Chromium driven by playwright-core): what an operator sees
 * and clicks, on every backend. Waits are on the page's DOM reaching a state, bounded by a generous guard.
 */
jest.setTimeout(60_000);

const GUARD = { timeout: 20_000 };
/** Where the README's screenshot is written when DASHBOARD_SCREENSHOT names a file (else a temporary one). */
const SCREENSHOT = process.env.DASHBOARD_SCREENSHOT ?? join(tmpdir(), 'jobs-dashboard.png');

let chromium: HeadlessChromium;
let running: DashboardApp | undefined;

beforeAll(async () => {
  chromium = await launchChromium();
});

afterAll(async () => {
  await chromium?.close();
});

afterEach(async () => {
  await Promise.all(chromium.context.pages().map((page) => page.close()));
  // Chromium keeps sockets open ahead of requests; the server's close would wait a minute for them.
  (running?.app.getHttpServer() as Server | undefined)?.closeAllConnections();
  await running?.app.close();
  running = undefined;
});

async function start(...args: Parameters<typeof startDashboardApp>): Promise<DashboardApp> {
  running = await startDashboardApp(...args);
  return running;
}

/** The cells of the queue's row in the queue list, once its dead count reads `dead`. */
async function queueRow(page: Page, dead: number): Promise<string[]> {
  const row = page.locator(`#queues tr[data-queue="${TASKS}"]`);
  await row.locator('td.dead-count', { hasText: new RegExp(`^${dead}$`) }).waitFor(GUARD);
  return (await row.locator('td').allTextContents()).slice(0, 7);
}

const redisPrefix = uniquePrefix();
const rabbit = new RabbitMQTestClients({ prefix: testPrefix('dashboard') });

const BACKENDS: { name: string; server?: 'redis'; create: () => JobBackend }[] = [
  { name: 'LocalClient', create: () => new LocalClient() },
  { name: 'RedisClient', server: 'redis', create: () => new RedisClient(REDIS_URL, { prefix: redisPrefix }) },
];

afterAll(async () => {
  const admin = adminConnection();
  await deleteKeysUnder(admin, redisPrefix);
  admin.disconnect();
  await rabbit.deleteDeclaredQueues();
});

describe.each(BACKENDS)('dashboard on $name', ({ server, create }) => {
  beforeAll(async () => {
    if (server) await requireServer(server);
  });

  it('shows the counts of a queue with jobs in it, opens a dead letter, redrives it, and shows the job run and the counts change', async () => {
    const { orchestrator, failure, origin } = await start(create);
    const id = await publishDeadLetter(orchestrator, 'broken-image.jpg');
    const page = await chromium.context.newPage();
    await page.goto(`${origin}/dashboard`);

    expect(await queueRow(page, 1)).toEqual([TASKS, 'fifo', '0', '0', '0', '0', '1']);

    await page.click(`#queues tr[data-queue="${TASKS}"] a`);
    await page.click('.states a[data-state="dead"]');
    await page.click(`#jobs tr[data-job="${id}"] a.job-link`);
    await page.locator('#job-status', { hasText: /^dead$/ }).waitFor(GUARD);
    expect(await page.textContent('#job-error')).toContain('Error: could not process broken-image.jpg');

    failure.failing = false;
    await page.click('#redrive-job');
    // The page refreshes on its own: the job goes back to waiting, runs, and reads completed.
    await page.locator('#job-status', { hasText: /^completed$/ }).waitFor(GUARD);
    expect(JSON.parse((await page.textContent('#job-result')) ?? '')).toEqual({ echoed: 'broken-image.jpg' });
    expect(await page.textContent('#notice')).toBe(`1 dead letter of ${TASKS} back to waiting.`);

    await page.click('header h1 a');
    expect(await queueRow(page, 0)).toEqual([TASKS, 'fifo', '0', '0', '0', '1', '0']);
    await page.close();
  });
});

describe('dashboard on RabbitMQClient', () => {
  beforeAll(async () => {
    await requireServer('rabbitmq');
  });

  it('lists the queues this app declares with their counts, opens a dead letter, redrives it, and shows the job run and the counts change', async () => {
    // RabbitMQ keeps messages, not records: a job store gives the job's detail page its state and error.
    const { orchestrator, failure, origin } = await start(() => rabbit.create({ jobStore: new InMemoryJobStateStore() }));
    const id = await publishDeadLetter(orchestrator, 'broken-image.jpg');
    const page = await chromium.context.newPage();
    await page.goto(`${origin}/dashboard`);

    expect(await queueRow(page, 1)).toEqual([TASKS, 'fifo', '0', '0', '0', '0', '1']);
    expect(await page.textContent('#view p.muted')).toBe(
      'RabbitMQClient cannot name its queues: these are the queues this app declares or consumes.',
    );

    await page.click(`#queues tr[data-queue="${TASKS}"] a`);
    // RabbitMQ lists dead letters only: the queue opens on them.
    await page.click(`#jobs tr[data-job="${id}"] a.job-link`);
    await page.locator('#job-status', { hasText: /^dead$/ }).waitFor(GUARD);
    expect(await page.textContent('#job-error')).toContain('Error: could not process broken-image.jpg');

    failure.failing = false;
    await page.click('#redrive-job');
    // The page refreshes on its own: the job goes back to waiting, runs, and reads completed.
    await page.locator('#job-status', { hasText: /^completed$/ }).waitFor(GUARD);
    expect(JSON.parse((await page.textContent('#job-result')) ?? '')).toEqual({ echoed: 'broken-image.jpg' });
    expect(await page.textContent('#notice')).toBe(`1 dead letter of ${TASKS} back to waiting.`);

    await page.click('header h1 a');
    expect(await queueRow(page, 0)).toEqual([TASKS, 'fifo', '0', '0', '0', '1', '0']);
    expect(await orchestrator.deadLetters(TASKS)).toEqual([]);
    await page.close();
  });
});

describe('dashboard escaping', () => {
  it('shows a payload holding <script> and <img onerror> as text, in the list and in the detail looked up by id, and runs neither', async () => {
    const { orchestrator, origin } = await start(() => new LocalClient());
    const attack = `<script>window.__xss = 'script'</script><img src=x onerror="window.__xss = 'img'">`;
    const id = await publishDeadLetter(orchestrator, attack);
    const page = await chromium.context.newPage();
    await page.goto(`${origin}/dashboard#/queue/${TASKS}?state=dead`);

    const row = page.locator(`#jobs tr[data-job="${id}"]`);
    await row.waitFor(GUARD);
    expect(await row.locator('td.error').textContent()).toBe(`Error: could not process ${attack}`);

    // Looked up by id, as an operator with an id from a log would.
    await page.fill('#lookup-id', id);
    await page.press('#lookup-id', 'Enter');
    await page.locator('#job-payload').waitFor(GUARD);
    expect(JSON.parse((await page.textContent('#job-payload')) ?? '')).toEqual({ label: attack });
    expect(await page.textContent('#job-error p.error')).toBe(`Error: could not process ${attack}`);
    expect(await page.locator('#view img, #view script').count()).toBe(0);
    expect(await page.evaluate('window.__xss')).toBeUndefined();
    await page.close();
  });
});

describe('dashboard writes', () => {
  let attacker: Server | undefined;

  afterEach(async () => {
    attacker?.closeAllConnections();
    await new Promise((resolve) => (attacker ? attacker.close(resolve) : resolve(undefined)));
    attacker = undefined;
  });

  it('refuses a redrive posted by a form on another site, and the dead letter stays', async () => {
    const { orchestrator, failure, origin } = await start(() => new LocalClient());
    const id = await publishDeadLetter(orchestrator, 'forged');
    failure.failing = false;
    const target = `${origin}/dashboard/api/queues/${TASKS}/redrive`;
    // Another site (localhost is not 127.0.0.1 to a browser) whose page submits a form at once.
    attacker = createServer((_, response) => {
      response.setHeader('Content-Type', 'text/html');
      response.end(
        `<form method="post" action="${target}"><input name="ids[]" value="${id}"></form><script>document.forms[0].submit()</script>`,
      );
    });
    await new Promise<void>((resolve) => attacker!.listen(0, '127.0.0.1', resolve));
    const page = await chromium.context.newPage();
    const answer = page.waitForResponse(target, GUARD);
    await page.goto(`http://localhost:${(attacker.address() as AddressInfo).port}/`);

    expect((await answer).status()).toBe(403);
    expect((await orchestrator.getJob(id))?.status).toBe('dead');
    expect((await orchestrator.queueStats(TASKS)).dead).toBe(1);
    await page.close();
  });

  it('with readOnly, shows the dead letters without redrive or purge', async () => {
    const { orchestrator, origin } = await start(() => new LocalClient(), { path: 'dashboard', readOnly: true });
    const id = await publishDeadLetter(orchestrator, 'kept');
    const page = await chromium.context.newPage();
    await page.goto(`${origin}/dashboard#/queue/${TASKS}?state=dead`);
    await page.locator(`#jobs tr[data-job="${id}"]`).waitFor(GUARD);

    expect(await page.isVisible('#read-only')).toBe(true);
    expect(
      await page
        .locator('#redrive-all, #redrive-selected, #purge-dead, .redrive-one, #jobs input[type=checkbox], #pause-queue, #resume-queue')
        .count(),
    ).toBe(0);
    await page.click(`#jobs tr[data-job="${id}"] a.job-link`);
    await page.locator('#job-status', { hasText: /^dead$/ }).waitFor(GUARD);
    expect(await page.locator('#redrive-job').count()).toBe(0);
    await page.close();
  });

  it('redrives the selected dead letters, then purges the rest', async () => {
    const { orchestrator, failure, origin } = await start(() => new LocalClient());
    const ids = [];
    for (const label of ['a.jpg', 'b.jpg', 'c.jpg']) ids.push(await publishDeadLetter(orchestrator, label));
    failure.failing = false;
    const page = await chromium.context.newPage();
    page.on('dialog', (dialog) => void dialog.accept());
    await page.goto(`${origin}/dashboard#/queue/${TASKS}?state=dead`);
    await page.locator(`#jobs tr[data-job="${ids[2]}"]`).waitFor(GUARD);

    await page.check(`#jobs tr[data-job="${ids[0]}"] input[type=checkbox]`);
    await page.check(`#jobs tr[data-job="${ids[2]}"] input[type=checkbox]`);
    await page.click('#redrive-selected');
    await page.locator('#notice', { hasText: `2 dead letters of ${TASKS} back to waiting.` }).waitFor(GUARD);
    await Promise.all([ids[0], ids[2]].map((redriven) => orchestrator.waitForResult(redriven, { timeout: 15_000 })));
    await page.locator(`#jobs tr[data-job="${ids[0]}"]`).waitFor({ state: 'detached', ...GUARD });
    expect(await page.locator('#jobs tbody tr').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-job')))).toEqual([ids[1]]);

    await page.click('#purge-dead');
    await page.locator('#notice', { hasText: `1 dead letter of ${TASKS} deleted.` }).waitFor(GUARD);
    expect(await orchestrator.getJob(ids[1])).toBeNull();
    expect((await orchestrator.queueStats(TASKS)).dead).toBe(0);
    await page.close();
  });

  it('pauses and resumes a queue, lists its schedule with the next run, and shows the progress a run reported', async () => {
    const { orchestrator, failure, origin } = await start(() => new LocalClient());
    failure.failing = false;
    const nightly = await orchestrator.schedule(TASKS, 'nightly', { cron: '0 3 * * *', tz: 'Europe/Berlin' }, { label: 'report' });
    // A job held by a run that reported progress (taken through the backend: no consumer of its queue here).
    const progressQueue = 'dashboard_progress';
    await orchestrator.declareQueue(progressQueue);
    const held = {
      id: 'upload-1',
      name: 'task',
      schemaName: 'task',
      payload: {},
      createdAt: new Date().toISOString(),
      priority: 0,
      attempt: 0,
    };
    await orchestrator.backend.publish(progressQueue, [{ job: held }]);
    const [delivery] = await orchestrator.backend.fetch(progressQueue, 1, { wait: false, leaseMs: 60_000 });
    await orchestrator.backend.reportProgress!(delivery, { stage: 'upload', done: 3 });

    const page = await chromium.context.newPage();
    await page.goto(`${origin}/dashboard`);
    const schedule = page.locator(`#schedules tr[data-schedule="${TASKS}/nightly"]`);
    await schedule.waitFor(GUARD);
    const nextRun = await page.evaluate((iso) => new Date(iso).toLocaleString(), nightly.nextRunAt.toISOString());
    expect(await schedule.locator('td').allTextContents()).toEqual([
      'nightly',
      TASKS,
      'cron 0 3 * * * (Europe/Berlin)',
      nextRun,
      '0',
      '{"label":"report"}',
    ]);

    await page.click(`#queues tr[data-queue="${TASKS}"] a`);
    await page.click('#pause-queue');
    await page.locator('#queue-paused').waitFor(GUARD);
    expect(await page.textContent('#notice')).toBe(`${TASKS} paused: its consumers take no jobs until it is resumed.`);
    expect((await orchestrator.queueStats(TASKS)).paused).toBe(true);
    await page.click('header h1 a');
    await page.locator(`#queues tr[data-queue="${TASKS}"] td.paused`, { hasText: 'paused' }).waitFor(GUARD);

    await page.click(`#queues tr[data-queue="${TASKS}"] a`);
    await page.click('#resume-queue');
    await page.locator('#pause-queue').waitFor(GUARD);
    expect((await orchestrator.queueStats(TASKS)).paused).toBe(false);
    // Its consumer takes jobs again.
    expect(await orchestrator.waitForResult(await orchestrator.publish(TASKS, { label: 'after' }), { timeout: 15_000 })).toEqual({
      echoed: 'after',
    });

    await page.goto(`${origin}/dashboard#/job/${held.id}`);
    await page.locator('#job-progress', { hasText: 'upload' }).waitFor(GUARD);
    expect(JSON.parse((await page.textContent('#job-progress')) ?? '')).toEqual({ stage: 'upload', done: 3 });
    await page.close();
  });

  it("draws the README's picture: a queue's dead letters, their errors and what can be done with them", async () => {
    const { orchestrator, failure, origin } = await start(() => new LocalClient());
    failure.failing = false;
    for (const label of ['images/cat-001.jpg', 'images/cat-002.jpg', 'images/dog-003.jpg', 'images/dog-004.jpg'])
      await orchestrator.waitForResult(await orchestrator.publish(TASKS, { label }), { timeout: 15_000 });
    failure.failing = true;
    const dead = [];
    for (const label of ['images/broken-017.jpg', 'images/huge-panorama.tif', 'images/missing.png'])
      dead.push(await publishDeadLetter(orchestrator, label));
    const page = await chromium.context.newPage();
    await page.goto(`${origin}/dashboard#/queue/${TASKS}?state=dead`);
    await page.locator(`#jobs tr[data-job="${dead[2]}"]`).waitFor(GUARD);
    await page.check(`#jobs tr[data-job="${dead[0]}"] input[type=checkbox]`);

    expect(await page.locator('.states a, .states span').allTextContents()).toEqual([
      'waiting 0',
      'delayed 0',
      'active 0',
      'failed (retrying)',
      'completed 4',
      'dead 3',
    ]);
    await page.setViewportSize({ width: 1200, height: 520 });
    const picture = await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(picture.length).toBeGreaterThan(10_000);
    await page.close();
  });
});
