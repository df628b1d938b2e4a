import { JobsError } from './jobs.error';

/** A part of the library was used whose optional peer dependency is not installed; the message says what to install. */
export class MissingPackageError extends JobsError {
  constructor(
    /** What was used: `RedisClient`, `JobsModule`… */
    readonly neededBy: string,
    /** The packages it needs, all to be installed together. */
    readonly packages: readonly string[],
    /** The one that was not found. */
    readonly missing: string,
  ) {
    super(`${neededBy} needs ${listed(packages)}, and "${missing}" is not installed — run: npm install ${packages.join(' ')}`);
  }
}

/** `the package "a"`, `the packages "a", "b" and "c"`. */
function listed(packages: readonly string[]): string {
  const quoted = packages.map((name) => `"${name}"`);
  if (quoted.length === 1) return `the package ${quoted[0]}`;
  return `the packages ${quoted.slice(0, -1).join(', ')} and ${quoted[quoted.length - 1]}`;
}
