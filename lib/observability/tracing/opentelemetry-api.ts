import type * as OpenTelemetryApi from '@opentelemetry/api';
import { requireOptionalPeers } from '../../peers/optional-peer';

export type OpenTelemetryApiModule = typeof OpenTelemetryApi;

/** @opentelemetry/api, loaded when tracing is first set up: an app that does not trace need not install it. */
export function loadOpenTelemetryApi(neededBy: string): OpenTelemetryApiModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use, so a user without it never loads it
  return requireOptionalPeers(neededBy, ['@opentelemetry/api'], () => require('@opentelemetry/api') as OpenTelemetryApiModule);
}
