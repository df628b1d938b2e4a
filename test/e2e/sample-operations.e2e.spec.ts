import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { Orchestrator } from '../../lib';
import { AppModule } from '../../sample/app.module';

/**
 * The sample's operator endpoints, on the app `npm start` runs: GET /metrics scraped after jobs ran
 * shows their counts, GET /health names the backend and the consumer.
 */
describe('sample app: /health and /metrics', () => {
  let app: INestApplication;

  beforeAll(async () => {
    delete process.env.JOBS_BACKEND;
    process.env.JOBS_FILE = join(mkdtempSync(join(tmpdir(), 'jobs-sample-ops-')), 'queue.db');
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
  });

  afterAll(async () => {
    await app?.close();
  });

  /** A sample line of the scrape: `name{labels} value`. */
  function sampleValue(text: string, line: string): number | undefined {
    const found = text.split('\n').find((l) => l.startsWith(`${line} `));
    return found === undefined ? undefined : Number(found.slice(line.length + 1));
  }

  it('GET /metrics after three detections ran shows them published, completed and timed, and none waiting', async () => {
    const server = app.getHttpServer();
    const before = await request(server).get('/metrics').expect(200);
    const published = (text: string) => sampleValue(text, 'mindtrace_jobs_published_total{queue="object_detection"}') ?? 0;
    const completed = (text: string) => sampleValue(text, 'mindtrace_jobs_completed_total{queue="object_detection"}') ?? 0;
    const ids: string[] = [];
    for (const image_path of ['/images/m1.jpg', '/images/m2.jpg', '/images/m3.jpg']) {
      ids.push((await request(server).post('/detections').send({ image_path }).expect(202)).body.id);
    }
    const orchestrator = app.get(Orchestrator);
    await Promise.all(ids.map((id) => orchestrator.waitForResult(id, { timeout: 10_000 })));

    const scrape = await request(server).get('/metrics').expect(200);
    expect(scrape.headers['content-type']).toContain('text/plain');
    expect(published(scrape.text) - published(before.text)).toBe(3);
    expect(completed(scrape.text) - completed(before.text)).toBe(3);
    expect(
      sampleValue(scrape.text, 'mindtrace_jobs_run_duration_seconds_count{queue="object_detection",outcome="completed"}'),
    ).toBeGreaterThanOrEqual(3);
    expect(sampleValue(scrape.text, 'mindtrace_jobs_waiting{queue="object_detection"}')).toBe(0);
    expect(sampleValue(scrape.text, 'mindtrace_jobs_dead{queue="object_detection"}')).toBe(0);
  });

  it('GET /health is 200 naming the backend and the running consumer', async () => {
    const res = await request(app.getHttpServer()).get('/health').expect(200);
    expect(res.body).toMatchObject({
      status: 'ok',
      info: {
        jobs: {
          status: 'up',
          backend: { name: 'LocalClient', status: 'up' },
          consumers: [{ queue: 'object_detection', consumer: 'ObjectDetectionConsumer', status: 'up', state: 'running' }],
        },
      },
    });
  });
});
