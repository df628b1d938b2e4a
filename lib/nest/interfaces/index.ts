export * from './jobs-module-options.interface';
export * from './schedule-registration.interface';
