import type * as PromClient from 'prom-client';
import { requireOptionalPeers } from '../../peers/optional-peer';

export type PromClientModule = typeof PromClient;

/** prom-client, loaded when metrics are first set up: an app without metrics need not install it. */
export function loadPromClient(neededBy: string): PromClientModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use, so a user without it never loads it
  return requireOptionalPeers(neededBy, ['prom-client'], () => require('prom-client') as PromClientModule);
}
