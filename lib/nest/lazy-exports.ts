import { requireOptionalPeers } from '../peers/optional-peer';
import type * as NestLayer from './index';

/**
 * The Nest layer's values that need @nestjs/* to load, as the package root exports them: each is a
 * getter that loads the layer on first use. An app that never touches them never requires Nest, and a
 * CommonJS or ES-module import can still name them (`import { JobsModule } from '@mindtrace/jobs'`).
 * The decorators need no Nest and are exported directly.
 */
const NEST_PEERS = ['@nestjs/common', '@nestjs/core', 'rxjs'];
const LAZY_VALUES = ['JobsModule', 'JOBS_MODULE_OPTIONS', 'JobValidationExceptionFilter', 'jobValidationErrorBody'] as const;

/** `JobsModule.forRoot(backend | options)` / `forRootAsync(…)`: the Nest module (see lib/nest/jobs.module.ts). */
export declare const JobsModule: typeof NestLayer.JobsModule;
export type JobsModule = NestLayer.JobsModule;
/** The injection token of the options given to JobsModule.forRoot / forRootAsync. */
export declare const JOBS_MODULE_OPTIONS: typeof NestLayer.JOBS_MODULE_OPTIONS;
/** Answers JobValidationError and JobBatchValidationError with HTTP 400 (JobsModule installs it unless `httpErrors: false`). */
export declare const JobValidationExceptionFilter: typeof NestLayer.JobValidationExceptionFilter;
export type JobValidationExceptionFilter = NestLayer.JobValidationExceptionFilter;
/** The 400 body JobValidationExceptionFilter sends, for your own filters. */
export declare const jobValidationErrorBody: typeof NestLayer.jobValidationErrorBody;

let loaded: typeof NestLayer | undefined;

function nestLayer(neededBy: string): typeof NestLayer {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use, so a user without it never loads it
  return (loaded ??= requireOptionalPeers(neededBy, NEST_PEERS, () => require('./index') as typeof NestLayer));
}

for (const name of LAZY_VALUES) {
  Object.defineProperty(exports, name, { enumerable: true, get: () => nestLayer(name)[name] });
}
