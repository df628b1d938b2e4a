import { checkOptionKeys } from '../backend/option-keys';
import { InvalidOptionError } from '../errors';
import type { JobsDashboardOptions, ResolvedJobsDashboardOptions } from './jobs-dashboard-options.interface';

const WHERE = 'JobsDashboardModule.forRoot';
const DEFAULT_PATH = 'jobs-dashboard';
/** Path segments of URL-safe characters: the path is also the prefix the page's links are built on. */
const PATH_PATTERN = /^[A-Za-z0-9._~-]+(\/[A-Za-z0-9._~-]+)*$/;

/** Checks the options strictly, so a misspelt `readonly` fails at start-up instead of leaving the dashboard writable. */
export function resolveJobsDashboardOptions(options: JobsDashboardOptions = {}): ResolvedJobsDashboardOptions {
  checkOptionKeys(WHERE, '', options, ['path', 'readOnly', 'guards']);
  const { path = DEFAULT_PATH, readOnly = false, guards = [] } = options;
  if (typeof path !== 'string') throw new InvalidOptionError(WHERE, 'path', `must be a string such as 'dashboard', got ${typeof path}`);
  const trimmed = path.replace(/^\/+|\/+$/g, '');
  if (!PATH_PATTERN.test(trimmed)) {
    throw new InvalidOptionError(
      WHERE,
      'path',
      `must be URL path segments of letters, digits, '.', '_', '~' or '-', such as 'admin/jobs', got ${JSON.stringify(path)}`,
    );
  }
  if (typeof readOnly !== 'boolean')
    throw new InvalidOptionError(WHERE, 'readOnly', `must be true or false, got ${JSON.stringify(readOnly)}`);
  if (
    !Array.isArray(guards) ||
    !guards.every(
      (guard) => typeof guard === 'function' || (typeof guard === 'object' && guard !== null && typeof guard.canActivate === 'function'),
    )
  ) {
    throw new InvalidOptionError(WHERE, 'guards', 'must be an array of guard classes or instances (with canActivate), e.g. [AdminGuard]');
  }
  return { path: trimmed, readOnly, guards };
}
