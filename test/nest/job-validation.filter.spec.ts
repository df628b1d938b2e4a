import { Body, Controller, HttpCode, Post, type INestApplication } from '@nestjs/common';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import { HttpAdapterHost } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { lastValueFrom, type Observable } from 'rxjs';
import request from 'supertest';
import {
  JobBatchValidationError,
  JobValidationError,
  JobValidationExceptionFilter,
  jobFromSchema,
  jobValidationErrorBody,
  JobsModule,
  LocalClient,
  Orchestrator,
  type JobsModuleOptions,
} from '../../lib';
import { tickSchema } from './support/tick.schema';

const schema = tickSchema('filter-ticks');

/** The controller: no ValidationPipe, the body goes straight to jobFromSchema / publishBatch. */
@Controller('ticks')
class TickController {
  constructor(private readonly orchestrator: Orchestrator) {}

  @Post()
  @HttpCode(202)
  async publish(@Body() input: unknown): Promise<{ id: string }> {
    return { id: await this.orchestrator.publish(schema.name, jobFromSchema(schema, input as object)) };
  }

  @Post('batch')
  @HttpCode(202)
  async publishBatch(@Body() inputs: object[]): Promise<{ count: number }> {
    return { count: (await this.orchestrator.publishBatch(schema.name, inputs)).count };
  }

  @Post('broken')
  broken(): never {
    throw new Error('not a validation error');
  }
}

const open: INestApplication[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((app) => app.close()));
});

async function httpApp(options: Partial<JobsModuleOptions> = {}): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule({
    imports: [JobsModule.forRoot({ backend: new LocalClient(), schemas: [schema], ...options })],
    controllers: [TickController],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  open.push(app);
  return app.init();
}

describe('JobValidationExceptionFilter (registered by JobsModule)', () => {
  it('answers 400 listing the violations when a handler publishes an invalid input, and publishes nothing', async () => {
    const app = await httpApp();
    const res = await request(app.getHttpServer()).post('/ticks').send({ n: 'five' }).expect(400);
    expect(res.body).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      message: ['n must be an integer number'],
      violations: [{ path: 'n', constraints: { isInt: 'n must be an integer number' } }],
    });
    expect(await app.get(Orchestrator).countQueueMessages(schema.name)).toBe(0);
    await request(app.getHttpServer()).post('/ticks').send({ n: 5 }).expect(202);
    expect(await app.get(Orchestrator).countQueueMessages(schema.name)).toBe(1);
  });

  it('answers 400 naming each invalid index of a batch', async () => {
    const app = await httpApp();
    const res = await request(app.getHttpServer())
      .post('/ticks/batch')
      .send([{ n: 1 }, { n: 'x' }, { n: 2.5 }])
      .expect(400);
    expect(res.body.message).toEqual(['jobs[1]: n must be an integer number', 'jobs[2]: n must be an integer number']);
    expect(res.body.failures.map((f: { index: number }) => f.index)).toEqual([1, 2]);
    expect(await app.get(Orchestrator).countQueueMessages(schema.name)).toBe(0);
  });

  it('leaves other errors to Nest (500)', async () => {
    const app = await httpApp();
    await request(app.getHttpServer()).post('/ticks/broken').expect(500);
  });

  it('with httpErrors: false is not registered: the validation error is a 500 again', async () => {
    const app = await httpApp({ httpErrors: false });
    const res = await request(app.getHttpServer()).post('/ticks').send({ n: 'five' }).expect(500);
    expect(res.body).toEqual({ statusCode: 500, message: 'Internal server error' });
  });

  it('names a nested property by its dotted path, as ValidationPipe does', () => {
    const nested = new JobValidationError('s', 'input', [{ path: 'box.width', constraints: { isInt: 'width must be an integer number' } }]);
    expect(jobValidationErrorBody(nested).message).toEqual(['box.width must be an integer number']);
  });

  describe('outside HTTP', () => {
    const error = new JobValidationError('filter-ticks', 'input', [{ path: 'n', constraints: { isInt: 'n must be an integer number' } }]);
    const filter = new JobValidationExceptionFilter(new HttpAdapterHost());
    const hostOf = (type: string): ExecutionContextHost => {
      const host = new ExecutionContextHost([{}, {}]);
      host.setType(type);
      return host;
    };

    it('hands the error back to a microservice caller as an erroring Observable (what RPC filters return)', async () => {
      const result = filter.catch(error, hostOf('rpc')) as Observable<never>;
      await expect(lastValueFrom(result)).rejects.toBe(error);
    });

    it('sends a WebSocket client an "exception" message with the violations instead of throwing into the gateway', () => {
      const emitted: [string, unknown][] = [];
      const host = new ExecutionContextHost([{ emit: (event: string, data: unknown) => emitted.push([event, data]) }, {}]);
      host.setType('ws');
      expect(filter.catch(error, host)).toBeUndefined();
      expect(emitted).toEqual([['exception', expect.objectContaining({ status: 'error', message: ['n must be an integer number'] })]]);
    });

    it('rethrows in any other context (GraphQL, external contexts), as if no filter had caught it', () => {
      const batch = new JobBatchValidationError('filter-ticks', [{ index: 0, error }]);
      expect(() => filter.catch(error, hostOf('graphql'))).toThrow(error);
      expect(() => filter.catch(batch, hostOf('graphql'))).toThrow(batch);
    });

    it('in an HTTP-typed context without an HTTP server (an application context) rethrows', () => {
      expect(() => filter.catch(error, hostOf('http'))).toThrow(error);
    });
  });
});
