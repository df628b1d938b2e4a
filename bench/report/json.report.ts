import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Writes the results as <dir>/<timestamp>.json and <dir>/latest.json; returns both paths. */
export function writeJsonResults(dir: string, startedAt: Date, results: object): string[] {
  mkdirSync(dir, { recursive: true });
  const text = `${JSON.stringify(results, null, 2)}\n`;
  const stamped = join(dir, `${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
  const latest = join(dir, 'latest.json');
  writeFileSync(stamped, text);
  writeFileSync(latest, text);
  return [stamped, latest];
}
