export * from './local.client';
export * from './local-client.options';
export * from './in-memory-job-state.store';
