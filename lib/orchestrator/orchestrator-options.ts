import { checkOptionKeys } from '../backend/option-keys';
import { InvalidOptionError } from '../errors';
import { DEFAULT_MAX_PAYLOAD_BYTES, MAX_PAYLOAD_BYTES_CEILING } from '../job/payload-limits';
import type { JobInstrumentation } from '../observability/job-instrumentation';

/** Options of an Orchestrator: the second argument of `new Orchestrator(backend, options)`. */
export interface OrchestratorOptions {
  /**
   * The largest payload publish accepts, in bytes of its JSON (UTF-8). Larger ones are refused with
   * JobValidationError. Default 1 MiB (1048576); at most 512 MiB.
   */
  maxPayloadBytes?: number;
  /** What observes publishes and runs: `[new JobTracing(), new JobMetrics()]`, or your own. Default none. */
  instrumentation?: readonly JobInstrumentation[];
}

export type ResolvedOrchestratorOptions = Required<OrchestratorOptions>;

const KNOWN: readonly (keyof OrchestratorOptions)[] = ['maxPayloadBytes', 'instrumentation'];

/** Checks the options and fills in defaults; `where` names the caller in the error (`new Orchestrator`, `JobsModule`). */
export function resolveOrchestratorOptions(options: OrchestratorOptions = {}, where = 'new Orchestrator'): ResolvedOrchestratorOptions {
  checkOptionKeys(where, '', options, KNOWN);
  const { maxPayloadBytes = DEFAULT_MAX_PAYLOAD_BYTES, instrumentation = [] } = options;
  if (!(Number.isInteger(maxPayloadBytes) && maxPayloadBytes > 0 && maxPayloadBytes <= MAX_PAYLOAD_BYTES_CEILING)) {
    throw new InvalidOptionError(
      where,
      'maxPayloadBytes',
      `must be a whole number of bytes from 1 to ${MAX_PAYLOAD_BYTES_CEILING} (512 MiB), got ${String(maxPayloadBytes)}`,
    );
  }
  if (!Array.isArray(instrumentation) || instrumentation.some((item) => item === null || typeof item !== 'object')) {
    throw new InvalidOptionError(
      where,
      'instrumentation',
      `must be an array of instrumentations such as new JobTracing() or new JobMetrics(), got ${String(instrumentation)}`,
    );
  }
  return { maxPayloadBytes, instrumentation };
}
