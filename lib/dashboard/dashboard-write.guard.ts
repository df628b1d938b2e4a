import {
  ForbiddenException,
  Inject,
  Injectable,
  UnsupportedMediaTypeException,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { JOBS_DASHBOARD_OPTIONS } from './jobs-dashboard.constants';
import type { ResolvedJobsDashboardOptions } from './jobs-dashboard-options.interface';

/** Fetch metadata values of a request the browser made from the dashboard's own origin, or typed in by the user. */
const OWN_ORIGIN_SITES = ['same-origin', 'none'];

interface HeaderCarrier {
  headers: Record<string, string | string[] | undefined>;
}

/**
 * Lets a state-changing POST through only when the dashboard is writable and the request cannot be a
 * cross-site forgery. A form on another site can send only urlencoded, multipart or text/plain bodies:
 * demanding `application/json` rules it out, and a cross-site script sending JSON needs a CORS preflight
 * the app would have to allow. Fetch metadata (`Sec-Fetch-Site`) refuses cross-site requests even then.
 * No token is needed: there is no session to bind one to, and the app's own guards authenticate.
 */
@Injectable()
export class DashboardWriteGuard implements CanActivate {
  constructor(@Inject(JOBS_DASHBOARD_OPTIONS) private readonly options: ResolvedJobsDashboardOptions) {}

  canActivate(context: ExecutionContext): boolean {
    if (this.options.readOnly) {
      throw new ForbiddenException('The jobs dashboard is read-only (readOnly: true): redrive, purge, pause and resume are refused');
    }
    const { headers } = context.switchToHttp().getRequest<HeaderCarrier>();
    const site = header(headers, 'sec-fetch-site');
    if (site !== undefined && !OWN_ORIGIN_SITES.includes(site)) {
      throw new ForbiddenException(`The jobs dashboard refuses a ${site} request to change jobs: send it from the dashboard's own page`);
    }
    const contentType = header(headers, 'content-type')?.split(';')[0].trim().toLowerCase();
    if (contentType !== 'application/json') {
      throw new UnsupportedMediaTypeException(
        `The jobs dashboard takes changes as JSON only (Content-Type: application/json, got ${contentType ?? 'none'}), so a form on another site cannot send them`,
      );
    }
    return true;
  }
}

function header(headers: HeaderCarrier['headers'], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}
