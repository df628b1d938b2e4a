import 'reflect-metadata';
import { Logger, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Orchestrator } from '../lib';
import { AppModule } from './app.module';

/** Starts the sample: `npm start`, then POST /detections and GET /jobs/:id. */
async function bootstrap(): Promise<void> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule);
  // On SIGTERM / SIGINT, JobsModule stops taking jobs and lets the running ones finish.
  app.enableShutdownHooks();
  // whitelist drops unknown body fields; transform turns the body into the DTO class the schema expects.
  app.useGlobalPipes(new ValidationPipe({ whitelist: true, transform: true }));
  const port = Number(process.env.PORT ?? 3000);
  await app.listen(port);
  const backend = app.get(Orchestrator).backend.name;
  new Logger('Sample').log(`listening on http://localhost:${port} with the ${backend} backend`);
}

void bootstrap();
