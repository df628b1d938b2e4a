export * from './local.client';
export * from './local-client.options';
export * from './in-memory-job-state.store';
export type { Durability } from './file/file-schema';
export type { SqliteDriverName } from './file/sqlite-driver';
