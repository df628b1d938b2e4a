import { Body, Get, Header, HttpCode, Param, Post, Query, Req, UseFilters, UseGuards, applyDecorators } from '@nestjs/common';
import type { JobPage } from '../backend/job-backend.interface';
import type { JobState } from '../backend/job-state';
import type { DashboardOverview, DashboardQueue, DashboardSchedule, PauseAnswer, PurgeAnswer, RedriveAnswer } from './dashboard-api.types';
import { dashboardAssets, PAGE_SECURITY_HEADERS } from './dashboard-assets';
import { DashboardErrorFilter } from './dashboard-error.filter';
import { DashboardService } from './dashboard.service';
import { checkEmptyBody, jobListingQueryOf, redriveSelectionOf } from './dashboard-requests';
import { DashboardWriteGuard } from './dashboard-write.guard';
import { escapeHtml } from './html-escape';

const pageHeaders = (contentType: string) =>
  applyDecorators(Header('Content-Type', contentType), ...PAGE_SECURITY_HEADERS.map(([name, value]) => Header(name, value)));

/**
 * The dashboard's routes, relative to its path: the page and its two files, the JSON API under `api`
 * (reads are GETs; changes are POSTs behind DashboardWriteGuard). JobsDashboardModule.forRoot mounts a
 * subclass of it at the configured path, so this class carries no @Controller of its own.
 */
@UseFilters(DashboardErrorFilter)
export class DashboardController {
  constructor(private readonly dashboard: DashboardService) {}

  @Get()
  @pageHeaders('text/html; charset=utf-8')
  page(@Req() request: { originalUrl?: string; url: string }): string {
    // The mount as the browser sees it (with any global prefix), so the page finds its files from
    // /dashboard and /dashboard/ alike.
    const mount = (request.originalUrl ?? request.url).split('?')[0].replace(/\/+$/, '');
    return dashboardAssets().html.replaceAll('{{mount}}', escapeHtml(mount));
  }

  @Get('assets/dashboard.css')
  @pageHeaders('text/css; charset=utf-8')
  css(): string {
    return dashboardAssets().css;
  }

  @Get('assets/dashboard.js')
  @pageHeaders('text/javascript; charset=utf-8')
  js(): string {
    return dashboardAssets().js;
  }

  @Get('api/overview')
  overview(): Promise<DashboardOverview> {
    return this.dashboard.overview();
  }

  @Get('api/queues/:queue')
  queue(@Param('queue') queue: string): Promise<DashboardQueue> {
    return this.dashboard.queue(queue);
  }

  @Get('api/queues/:queue/jobs')
  jobs(@Param('queue') queue: string, @Query() query: Record<string, string | undefined>): Promise<JobPage> {
    const { state, offset, limit } = jobListingQueryOf(queue, query);
    return this.dashboard.jobs(queue, state, offset, limit);
  }

  @Get('api/jobs/:id')
  job(@Param('id') id: string): Promise<JobState> {
    return this.dashboard.job(id);
  }

  @Get('api/schedules')
  schedules(): Promise<DashboardSchedule[]> {
    return this.dashboard.schedules();
  }

  @Post('api/queues/:queue/pause')
  @HttpCode(200)
  @UseGuards(DashboardWriteGuard)
  pause(@Param('queue') queue: string, @Body() body: unknown): Promise<PauseAnswer> {
    checkEmptyBody(`dashboard pause of "${queue}"`, body);
    return this.dashboard.pause(queue);
  }

  @Post('api/queues/:queue/resume')
  @HttpCode(200)
  @UseGuards(DashboardWriteGuard)
  resume(@Param('queue') queue: string, @Body() body: unknown): Promise<PauseAnswer> {
    checkEmptyBody(`dashboard resume of "${queue}"`, body);
    return this.dashboard.resume(queue);
  }

  @Post('api/queues/:queue/redrive')
  @HttpCode(200)
  @UseGuards(DashboardWriteGuard)
  redrive(@Param('queue') queue: string, @Body() body: unknown): Promise<RedriveAnswer> {
    return this.dashboard.redrive(queue, redriveSelectionOf(queue, body));
  }

  @Post('api/queues/:queue/purge-dead')
  @HttpCode(200)
  @UseGuards(DashboardWriteGuard)
  purgeDead(@Param('queue') queue: string, @Body() body: unknown): Promise<PurgeAnswer> {
    checkEmptyBody(`dashboard purge of "${queue}"`, body);
    return this.dashboard.purgeDead(queue);
  }
}
