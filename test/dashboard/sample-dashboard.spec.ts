import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { AppModule } from '../../sample/app.module';

/** The sample app as `npm start` runs it serves the dashboard at /dashboard, over its own queue. */
describe("the sample app's dashboard", () => {
  let app: INestApplication;

  beforeAll(async () => {
    delete process.env.JOBS_BACKEND;
    process.env.JOBS_FILE = join(mkdtempSync(join(tmpdir(), 'jobs-sample-dashboard-')), 'queue.db');
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
  });

  afterAll(async () => {
    await app?.close();
  });

  it('serves the page at /dashboard and lists object_detection with its consumer on the API', async () => {
    const http = request(app.getHttpServer());
    const page = await http.get('/dashboard').expect(200);
    expect(page.text).toContain('<script src="/dashboard/assets/dashboard.js" defer></script>');
    const { body } = await http.get('/dashboard/api/overview').expect(200);
    expect(body.queues).toEqual([
      expect.objectContaining({
        name: 'object_detection',
        type: 'fifo',
        consumers: [expect.objectContaining({ consumer: 'ObjectDetectionConsumer' })],
      }),
    ]);
  });
});
