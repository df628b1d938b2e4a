import type { RetentionOptions } from '../../backend/retention-options';

export interface LocalClientOptions {
  /** How many finished jobs to keep for getJob / waitForResult. */
  retention?: RetentionOptions;
}
