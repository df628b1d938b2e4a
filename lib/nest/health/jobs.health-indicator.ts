import { Injectable } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import type { HealthOptions } from '../../observability/health/jobs-health-report';
import { Orchestrator } from '../../orchestrator/orchestrator';

/**
 * The jobs' health for @nestjs/terminus (11 and 12, its HealthIndicatorService API): down when the
 * backend does not answer, when a consumer's loop stopped, crashed, keeps failing to reconnect or takes
 * nothing while jobs wait, or when a queue passes a threshold. The details are orchestrator.health()'s.
 *
 * `@Get('health') @HealthCheck() check() { return this.health.check([() => this.jobs.isHealthy('jobs')]); }`
 */
@Injectable()
export class JobsHealthIndicator {
  constructor(
    private readonly orchestrator: Orchestrator,
    private readonly indicators: HealthIndicatorService,
  ) {}

  async isHealthy<const Key extends string>(key: Key, options: HealthOptions = {}): Promise<HealthIndicatorResult<Key>> {
    const indicator = this.indicators.check(key);
    const { status, ...details } = await this.orchestrator.health(options);
    return status === 'up' ? indicator.up(details) : indicator.down(details);
  }
}
