import { MissingPackageError } from '../errors/missing-package.error';

/**
 * Loads optional peer dependencies the moment a part that needs them is used, so an app that never
 * uses that part need not install them. A package that is not installed becomes a MissingPackageError
 * naming what to install; any other failure (a broken install, a bad version) is thrown as it is.
 */
export function requireOptionalPeers<T>(neededBy: string, packages: readonly string[], load: () => T): T {
  try {
    return load();
  } catch (err) {
    const missing = packages.find((name) => isNotFound(err, name));
    if (missing) throw new MissingPackageError(neededBy, packages, missing);
    throw err;
  }
}

/** Node's (and Jest's) "Cannot find module 'name'" for the package itself, not for a file inside it. */
function isNotFound(err: unknown, name: string): boolean {
  const { code, message } = (err ?? {}) as { code?: unknown; message?: unknown };
  return code === 'MODULE_NOT_FOUND' && typeof message === 'string' && message.startsWith(`Cannot find module '${name}'`);
}
