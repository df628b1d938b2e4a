import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { JobsModuleOptions } from './interfaces';

/** forRoot / forRootAsync in the standard Nest shape (useFactory, useClass, useExisting, inject, imports). */
export const {
  ConfigurableModuleClass,
  MODULE_OPTIONS_TOKEN: JOBS_MODULE_OPTIONS,
  OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<JobsModuleOptions>({ moduleName: 'Jobs' }).setClassMethodName('forRoot').build();
