/**
 * Runs `fn`, expects it to throw an instance of `type`, and returns that error so a test can look at
 * its fields; fails the test if nothing (or something else) was thrown.
 */
export function thrownBy<E extends Error>(type: abstract new (...args: never[]) => E, fn: () => unknown): E {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(type);
    return error as E;
  }
  throw new Error(`expected ${type.name} to be thrown, nothing was`);
}
