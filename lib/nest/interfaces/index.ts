export * from './jobs-module-options.interface';
