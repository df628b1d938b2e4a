import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The page's three files, read once: plain HTML, CSS and JavaScript, nothing to build. */
export interface DashboardAssets {
  html: string;
  css: string;
  js: string;
}

/**
 * The page runs only its own script and style and talks only to its own origin: should a payload ever
 * slip past the page's escaping, the browser still refuses to run it.
 */
export const PAGE_SECURITY_HEADERS: readonly (readonly [string, string])[] = [
  [
    'Content-Security-Policy',
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  ],
  ['X-Content-Type-Options', 'nosniff'],
  ['Referrer-Policy', 'no-referrer'],
];

let loaded: DashboardAssets | undefined;

export function dashboardAssets(): DashboardAssets {
  const dir = join(__dirname, 'assets');
  return (loaded ??= {
    html: readFileSync(join(dir, 'index.html'), 'utf8'),
    css: readFileSync(join(dir, 'dashboard.css'), 'utf8'),
    js: readFileSync(join(dir, 'dashboard.js'), 'utf8'),
  });
}
