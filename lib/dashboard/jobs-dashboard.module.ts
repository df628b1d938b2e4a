import { Controller, Module, UseGuards, type DynamicModule } from '@nestjs/common';
import { InvalidOptionError } from '../errors';
import { Orchestrator } from '../orchestrator/orchestrator';
import { DashboardController } from './dashboard.controller';
import { DashboardService } from './dashboard.service';
import { DashboardWriteGuard } from './dashboard-write.guard';
import { JOBS_DASHBOARD_OPTIONS } from './jobs-dashboard.constants';
import type { JobsDashboardOptions } from './jobs-dashboard-options.interface';
import { resolveJobsDashboardOptions } from './jobs-dashboard-options.resolver';

/**
 * `JobsDashboardModule.forRoot({ path: 'dashboard', readOnly, guards })`: a page at `/<path>` showing
 * every queue, its jobs by state, a job's detail and the dead letters (redrive, purge), over a JSON API
 * at `/<path>/api`. It reads the Orchestrator of JobsModule, which must be imported too. The app's
 * global guards, pipes and interceptors apply to its routes as to any other.
 */
@Module({})
export class JobsDashboardModule {
  static forRoot(options: JobsDashboardOptions = {}): DynamicModule {
    const resolved = resolveJobsDashboardOptions(options);
    // A subclass per mount: Nest takes a controller's path from its class, and the path is the user's.
    class JobsDashboardController extends DashboardController {}
    Controller(resolved.path)(JobsDashboardController);
    if (resolved.guards.length > 0) UseGuards(...resolved.guards)(JobsDashboardController);
    return {
      module: JobsDashboardModule,
      controllers: [JobsDashboardController],
      providers: [
        { provide: JOBS_DASHBOARD_OPTIONS, useValue: resolved },
        {
          provide: DashboardService,
          useFactory: (orchestrator: Orchestrator | undefined) => new DashboardService(requireOrchestrator(orchestrator), resolved),
          inject: [{ token: Orchestrator, optional: true }],
        },
        DashboardWriteGuard,
      ],
    };
  }
}

function requireOrchestrator(orchestrator: Orchestrator | undefined): Orchestrator {
  if (orchestrator) return orchestrator;
  throw new InvalidOptionError(
    'JobsDashboardModule.forRoot',
    'imports',
    'found no Orchestrator: import JobsModule.forRoot({ backend }) in the same app, the dashboard shows its queues',
  );
}
