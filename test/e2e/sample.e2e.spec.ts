import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { Orchestrator } from '../../lib';
import { AppModule } from '../../sample/app.module';
import { DetectorService } from '../../sample/detection/detector.service';

/**
 * The sample app end to end: HTTP in, job through the queue and the consumer, result out over HTTP.
 * It boots AppModule as main.ts does, with nothing added, so what is tested is what `npm start` runs.
 */
describe('sample app', () => {
  let app: INestApplication;
  let orchestrator: Orchestrator;
  const detector = new DetectorService();

  beforeAll(async () => {
    delete process.env.JOBS_BACKEND;
    // A file of this run's own: the default one may be in use by an `npm start` (the startup test).
    process.env.JOBS_FILE = join(mkdtempSync(join(tmpdir(), 'jobs-sample-e2e-')), 'queue.db');
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    orchestrator = app.get(Orchestrator);
  });

  afterAll(async () => {
    await app?.close();
  });

  it('accepts detections with 202 and an id, and the consumer completes each with the detector result', async () => {
    const paths = ['/images/a.jpg', '/images/b.jpg', '/images/c.jpg', '/images/d.jpg', '/images/e.jpg'];
    const ids: string[] = [];
    for (const image_path of paths) {
      const res = await request(app.getHttpServer()).post('/detections').send({ image_path }).expect(202);
      expect(typeof res.body.id).toBe('string');
      ids.push(res.body.id);
    }
    expect(new Set(ids).size).toBe(paths.length);

    const results = await Promise.all(ids.map((id) => orchestrator.waitForResult(id, { timeout: 5000 })));
    expect(results).toEqual(paths.map((path) => ({ objects: detector.detect(path) })));
  });

  it('shows a finished job as completed, with its payload and result, on GET /jobs/:id', async () => {
    const posted = await request(app.getHttpServer()).post('/detections').send({ image_path: '/images/status.jpg' }).expect(202);
    const id: string = posted.body.id;
    await orchestrator.waitForResult(id, { timeout: 5000 });

    const res = await request(app.getHttpServer()).get(`/jobs/${id}`).expect(200);
    expect(res.body).toMatchObject({
      id,
      queue: 'object_detection',
      status: 'completed',
      attempt: 1,
      payload: { image_path: '/images/status.jpg' },
      result: { objects: detector.detect('/images/status.jpg') },
      error: null,
    });
  });

  it('fills in the default image path when the body omits it', async () => {
    const posted = await request(app.getHttpServer()).post('/detections').send({}).expect(202);
    const result = await orchestrator.waitForResult(posted.body.id, { timeout: 5000 });
    expect(result).toEqual({ objects: detector.detect('/default/path.jpg') });
  });

  it('answers 400 naming image_path when the body is invalid, and publishes nothing', async () => {
    const before = await orchestrator.queueStats('object_detection');
    const res = await request(app.getHttpServer()).post('/detections').send({ image_path: 5 }).expect(400);
    expect(res.body.message).toEqual(['image_path must be a string']);
    const after = await orchestrator.queueStats('object_detection');
    expect(after).toEqual(before);
  });

  it('answers 404 with the id for an unknown job', async () => {
    const res = await request(app.getHttpServer()).get('/jobs/no-such-job').expect(404);
    expect(res.body.message).toContain('no-such-job');
  });
});
