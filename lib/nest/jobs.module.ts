import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER, DiscoveryModule, HttpAdapterHost } from '@nestjs/core';
import type { JobBackend } from '../backend/job-backend.interface';
import { InvalidOptionError } from '../errors';
import { Orchestrator } from '../orchestrator/orchestrator';
import { ConsumerMetadataAccessor } from './consumer-metadata.accessor';
import { ConsumerExplorer } from './consumer.explorer';
import type { JobBackendFactory, JobsModuleOptions, ResolvedJobsModuleOptions } from './interfaces';
import { JobValidationExceptionFilter } from './job-validation.filter';
import { ScheduleRegistrar } from './schedule.registrar';
import { JobsBackendLifecycle, jobsBackendProvider } from './jobs-backend.provider';
import { JOBS_BACKEND, JOBS_RESOLVED_OPTIONS } from './jobs.constants';
import { isJobBackend, resolveJobsModuleOptions } from './jobs-module-options.resolver';
import { ASYNC_OPTIONS_TYPE, ConfigurableModuleClass, JOBS_MODULE_OPTIONS, OPTIONS_TYPE } from './jobs.module-definition';

/**
 * `JobsModule.forRoot({ backend: () => new LocalClient(), schemas, schedules, shutdownTimeout, httpErrors })`
 * (backend: an instance or a factory each app calls; `forRoot(backendOrFactory)` for short), or
 * `forRootAsync({ imports, inject, useFactory })`. Global: Orchestrator is injectable everywhere, and
 * every @Consumer provider in the app starts consuming at bootstrap.
 */
@Module({
  imports: [DiscoveryModule],
  providers: [
    ConsumerMetadataAccessor,
    ConsumerExplorer,
    ScheduleRegistrar,
    // forRootAsync options exist only now, so they are checked here as well as in forRoot.
    { provide: JOBS_RESOLVED_OPTIONS, useFactory: resolveJobsModuleOptions, inject: [JOBS_MODULE_OPTIONS] },
    jobsBackendProvider,
    {
      provide: Orchestrator,
      useFactory: (backend: JobBackend, options: ResolvedJobsModuleOptions) =>
        new Orchestrator(backend, { maxPayloadBytes: options.maxPayloadBytes, instrumentation: options.instrumentation }),
      inject: [JOBS_BACKEND, JOBS_RESOLVED_OPTIONS],
    },
    JobsBackendLifecycle,
    {
      // A null filter is skipped by Nest: `httpErrors: false` leaves these errors to the app's own filters.
      provide: APP_FILTER,
      useFactory: (options: ResolvedJobsModuleOptions, adapterHost: HttpAdapterHost) =>
        options.httpErrors ? new JobValidationExceptionFilter(adapterHost) : null,
      inject: [JOBS_RESOLVED_OPTIONS, HttpAdapterHost],
    },
  ],
  exports: [Orchestrator],
})
export class JobsModule extends ConfigurableModuleClass {
  static override forRoot(backendOrOptions: JobBackend | JobBackendFactory | typeof OPTIONS_TYPE): DynamicModule {
    const options = JobsModule.asOptions(backendOrOptions);
    resolveJobsModuleOptions(options); // fail where the module is declared, not later at bootstrap
    return { ...super.forRoot(options), global: true };
  }

  static override forRootAsync(options: typeof ASYNC_OPTIONS_TYPE): DynamicModule {
    const given = options as Partial<typeof ASYNC_OPTIONS_TYPE> | null | undefined;
    if (!given || typeof given !== 'object' || !(given.useFactory || given.useClass || given.useExisting)) {
      throw new InvalidOptionError(
        'JobsModule.forRootAsync',
        'options',
        'must give useFactory, useClass or useExisting that provides { backend, schemas?, schedules?, shutdownTimeout?, httpErrors? }',
      );
    }
    return { ...super.forRootAsync(options), global: true };
  }

  /**
   * forRoot(backend) and forRoot(factory) are shorthand for forRoot({ backend }). A class instance without
   * `backend` is taken for a backend, so a fake one is named as such.
   */
  private static asOptions(value: JobBackend | JobBackendFactory | JobsModuleOptions | undefined): JobsModuleOptions {
    if (typeof value === 'function') return { backend: value };
    if (value === null || typeof value !== 'object' || 'backend' in value) return value as JobsModuleOptions;
    const isPlainObject = Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null;
    return isJobBackend(value) || !isPlainObject ? { backend: value as JobBackend } : (value as JobsModuleOptions);
  }
}
