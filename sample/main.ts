import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Orchestrator } from '../lib';
import { AppModule } from './app.module';

const logger = new Logger('Sample');

/** Starts the sample: `npm start` (nest start), then POST /detections and GET /jobs/:id. */
async function bootstrap(): Promise<void> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule);
  // On SIGTERM / SIGINT, JobsModule stops taking jobs and lets the running ones finish.
  app.enableShutdownHooks();
  await app.listen(Number(process.env.PORT ?? 3000));
  // The port really bound: PORT=0 asks the system for a free one.
  const { port } = app.getHttpServer().address() as AddressInfo;
  const backend = app.get(Orchestrator).backend.name;
  logger.log(`listening on http://localhost:${port} with the ${backend} backend`);
}

// A broker that does not answer, a port in use…: say why in one line and exit non-zero, not an unhandled rejection.
bootstrap().catch((err: unknown) => {
  logger.error(`could not start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
