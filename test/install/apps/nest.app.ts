/** A Nest app in one of the module systems a user may write it in, on the Nest and class-validator majors we support. */
export interface NestAppVariant {
  title: string;
  /** The Nest major, e.g. 11. */
  nest: number;
  /** The class-validator minor, e.g. '0.14' (0.x minors are majors to npm). */
  classValidator: string;
  moduleSystem: 'commonjs' | 'module';
}

/**
 * The app a user writes from the README: a JobSchema, a @Consumer with a @Run method, a controller that
 * publishes over HTTP and answers with the job's result, JobsModule.forRoot in the AppModule, and
 * Terminus's GET /health with JobsHealthIndicator ("Operating it"). Compiled with tsc and run with node,
 * as `nest build` + `node dist/main` would.
 */
export function nestApp(tarball: string, variant: NestAppVariant): Record<string, string> {
  const esm = variant.moduleSystem === 'module';
  return {
    'package.json': JSON.stringify(
      {
        name: `nest-${variant.nest}-app`,
        private: true,
        ...(esm ? { type: 'module' } : {}),
        dependencies: {
          '@mindtrace/jobs': `file:${tarball}`,
          '@nestjs/common': `^${variant.nest}.0.0`,
          '@nestjs/core': `^${variant.nest}.0.0`,
          '@nestjs/platform-express': `^${variant.nest}.0.0`,
          '@nestjs/terminus': `^${variant.nest}.0.0`,
          'class-transformer': '^0.5.1',
          'class-validator': `^${variant.classValidator}.0`,
          'reflect-metadata': '^0.2.2',
          rxjs: '^7.8.0',
        },
        devDependencies: { '@types/node': '^20.19.0', typescript: '~5.9.0' },
      },
      null,
      2,
    ),
    'tsconfig.json': JSON.stringify(
      {
        compilerOptions: {
          // CommonJS the classic Nest way (node10 resolution: main, types, typesVersions); ESM the current way.
          ...(esm ? { module: 'nodenext', moduleResolution: 'nodenext' } : { module: 'commonjs', moduleResolution: 'node' }),
          target: 'ES2022',
          strict: true,
          experimentalDecorators: true,
          emitDecoratorMetadata: true,
          skipLibCheck: true,
          outDir: 'dist',
          rootDir: 'src',
        },
        include: ['src'],
      },
      null,
      2,
    ),
    'src/main.ts': `
      import 'reflect-metadata';
      import { Body, Controller, Get, Module, Param, Post } from '@nestjs/common';
      import { NestFactory } from '@nestjs/core';
      import { HealthCheck, HealthCheckService, TerminusModule } from '@nestjs/terminus';
      import { IsString } from 'class-validator';
      import {
        JobsHealthIndicator, JobsModule, Orchestrator, Consumer, Run, JobInput, JobSchema, LocalClient, type Job,
      } from '@mindtrace/jobs';

      export class GreetInput extends JobInput {
        @IsString() name!: string;
      }

      const greet = new JobSchema({ name: 'greet', input: GreetInput });

      @Consumer('greet')
      export class GreetConsumer {
        @Run()
        run(job: Job<GreetInput>) {
          return { greeting: \`hello \${job.payload.name}\`, inputClass: job.payload.constructor.name };
        }
      }

      @Controller('greetings')
      export class GreetingsController {
        constructor(private readonly orchestrator: Orchestrator) {}

        @Post()
        async publish(@Body() body: { name: string }) {
          return { id: await this.orchestrator.publish('greet', body) };
        }

        @Get(':id')
        result(@Param('id') id: string) {
          return this.orchestrator.waitForResult(id, { timeout: 30000 });
        }
      }

      @Controller('health')
      export class HealthController {
        constructor(
          private readonly health: HealthCheckService,
          private readonly jobs: JobsHealthIndicator,
        ) {}

        @Get()
        @HealthCheck()
        check() {
          return this.health.check([() => this.jobs.isHealthy('jobs')]);
        }
      }

      @Module({
        imports: [JobsModule.forRoot({ backend: new LocalClient(), schemas: [greet] }), TerminusModule],
        controllers: [GreetingsController, HealthController],
        providers: [GreetConsumer, JobsHealthIndicator],
      })
      export class AppModule {}

      async function bootstrap(): Promise<void> {
        const app = await NestFactory.create(AppModule, { logger: ['error', 'warn'] });
        app.enableShutdownHooks();
        await app.listen(0, '127.0.0.1');
        const { port } = app.getHttpServer().address() as { port: number };
        console.log(\`listening on \${port}\`);
      }
      void bootstrap();
    `,
  };
}
