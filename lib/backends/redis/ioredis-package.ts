import type * as IORedis from 'ioredis';
import { requireOptionalPeers } from '../../peers/optional-peer';

/** ioredis, loaded when a Redis backend is constructed: an app on another backend need not install it. */
export function loadIoredis(neededBy: string): typeof IORedis {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use, so a user without it never loads it
  return requireOptionalPeers(neededBy, ['ioredis'], () => require('ioredis') as typeof IORedis);
}
