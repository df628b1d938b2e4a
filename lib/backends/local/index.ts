export * from './local.client';
export * from './local-client.options';
