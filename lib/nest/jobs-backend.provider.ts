import { Inject, Injectable, type OnApplicationShutdown, type Provider } from '@nestjs/common';
import type { JobBackend } from '../backend/job-backend.interface';
import { InvalidOptionError } from '../errors';
import { Orchestrator } from '../orchestrator/orchestrator';
import type { ResolvedJobsModuleOptions } from './interfaces';
import { JOBS_BACKEND, JOBS_RESOLVED_OPTIONS } from './jobs.constants';
import { backendOf } from './jobs-module-options.resolver';

/** Backends an app closed at its shutdown: a closed client cannot be opened again. */
const closedByApps = new WeakSet<JobBackend>();

/**
 * JOBS_BACKEND: the backend of one app. A backend instance given to forRoot is made once, when the
 * module file is imported, so a second app built from the module (the next test) would get it closed:
 * that is refused here with the way out, instead of a BackendClosedError at the first publish.
 */
export const jobsBackendProvider: Provider = {
  provide: JOBS_BACKEND,
  inject: [JOBS_RESOLVED_OPTIONS],
  useFactory: (options: ResolvedJobsModuleOptions): JobBackend => {
    const backend = backendOf(options);
    if (closedByApps.has(backend)) {
      throw new InvalidOptionError(
        'JobsModule',
        'backend',
        `is a ${backend.name} that an earlier app closed when it shut down: a backend given as an instance is made once, when the module is imported — ` +
          `give a factory so that every app gets its own: JobsModule.forRoot({ backend: () => new ${backend.name}(…) })`,
      );
    }
    return backend;
  },
};

/** At shutdown, after the consumers drained: remembers the app's backend as closed, and closes a given one the app never used. */
@Injectable()
export class JobsBackendLifecycle implements OnApplicationShutdown {
  constructor(
    private readonly orchestrator: Orchestrator,
    @Inject(JOBS_RESOLVED_OPTIONS) private readonly options: ResolvedJobsModuleOptions,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    closedByApps.add(this.orchestrator.backend);
    // A test that overrode JOBS_BACKEND leaves the module's own instance unused; open, it would keep the process alive.
    const given = this.options.backend;
    if (typeof given !== 'function' && given !== this.orchestrator.backend) {
      closedByApps.add(given);
      await given.close();
    }
  }
}
