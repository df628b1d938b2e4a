import { requireOptionalPeers } from '../../peers/optional-peer';
import type * as HealthIndicatorModule from './jobs.health-indicator';

/**
 * JobsHealthIndicator as the package root exports it: a getter that loads @nestjs/terminus on first use,
 * so an app without Terminus (or without Nest) can import everything else from the root.
 */
const PEERS = ['@nestjs/common', '@nestjs/core', '@nestjs/terminus', 'rxjs'];

/** The jobs' health for @nestjs/terminus: `jobs.isHealthy('jobs', options)` (see lib/nest/health/jobs.health-indicator.ts). */
export declare const JobsHealthIndicator: typeof HealthIndicatorModule.JobsHealthIndicator;
export type JobsHealthIndicator = HealthIndicatorModule.JobsHealthIndicator;

let loaded: typeof HealthIndicatorModule | undefined;

Object.defineProperty(exports, 'JobsHealthIndicator', {
  enumerable: true,
  get: () =>
    (loaded ??= requireOptionalPeers(
      'JobsHealthIndicator',
      PEERS,
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use, so a user without it never loads it
      () => require('./jobs.health-indicator') as typeof HealthIndicatorModule,
    )).JobsHealthIndicator,
});
