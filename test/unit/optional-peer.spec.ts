import { MissingPackageError } from '../../lib';
import { requireOptionalPeers } from '../../lib/peers/optional-peer';

describe('requireOptionalPeers', () => {
  it('turns a package that is not installed into MissingPackageError, naming all the packages to install', () => {
    const load = () =>
      requireOptionalPeers('TheFeature', ['@mindtrace/not-installed-a', 'not-installed-b'], () => require('not-installed-b'));
    expect(load).toThrow(MissingPackageError);
    expect(load).toThrow(
      'TheFeature needs the packages "@mindtrace/not-installed-a" and "not-installed-b", and "not-installed-b" is not installed — run: npm install @mindtrace/not-installed-a not-installed-b',
    );
  });

  it('lets any other failure through as it is (a file missing inside an installed package is not a missing package)', () => {
    expect(() => requireOptionalPeers('TheFeature', ['ioredis'], () => require('ioredis/no-such-file'))).toThrow(
      /Cannot find module 'ioredis\/no-such-file'/,
    );
    const broken = new Error('the package threw while loading');
    expect(() =>
      requireOptionalPeers('TheFeature', ['ioredis'], () => {
        throw broken;
      }),
    ).toThrow(broken);
  });

  it('returns what loaded', () => {
    expect(requireOptionalPeers('TheFeature', ['ioredis'], () => 42)).toBe(42);
  });
});
