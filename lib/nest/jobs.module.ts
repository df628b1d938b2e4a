import { Module, type DynamicModule } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import type { JobBackend } from '../backend/job-backend.interface';
import { Orchestrator } from '../orchestrator/orchestrator';
import { ConsumerMetadataAccessor } from './consumer-metadata.accessor';
import { ConsumerExplorer } from './consumer.explorer';
import type { JobsModuleOptions } from './interfaces';
import { ASYNC_OPTIONS_TYPE, ConfigurableModuleClass, JOBS_MODULE_OPTIONS, OPTIONS_TYPE } from './jobs.module-definition';

/**
 * `JobsModule.forRoot(backend)` or `forRoot({ backend, schemas, shutdownTimeout })`, or
 * `forRootAsync({ imports, inject, useFactory })`. Global: Orchestrator is injectable everywhere, and
 * every @Consumer provider in the app starts consuming at bootstrap.
 */
@Module({
  imports: [DiscoveryModule],
  providers: [
    ConsumerMetadataAccessor,
    ConsumerExplorer,
    { provide: Orchestrator, useFactory: (options: JobsModuleOptions) => new Orchestrator(options.backend), inject: [JOBS_MODULE_OPTIONS] },
  ],
  exports: [Orchestrator],
})
export class JobsModule extends ConfigurableModuleClass {
  static override forRoot(backendOrOptions: JobBackend | typeof OPTIONS_TYPE): DynamicModule {
    const options = 'backend' in backendOrOptions ? backendOrOptions : { backend: backendOrOptions };
    return { ...super.forRoot(options), global: true };
  }

  static override forRootAsync(options: typeof ASYNC_OPTIONS_TYPE): DynamicModule {
    return { ...super.forRootAsync(options), global: true };
  }
}
