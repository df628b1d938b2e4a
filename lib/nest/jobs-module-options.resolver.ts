import type { JobBackend } from '../backend/job-backend.interface';
import { QUEUE_TYPES } from '../backend/queue-type';
import { InvalidOptionError } from '../errors';
import { JobSchema } from '../job/job-schema';
import { resolveOrchestratorOptions } from '../orchestrator/orchestrator-options';
import type { JobsModuleOptions, ResolvedJobsModuleOptions } from './interfaces';
import { resolveScheduleRegistrations } from './schedule-registration.resolver';

const WHERE = 'JobsModule';
const DEFAULT_SHUTDOWN_TIMEOUT_MS = 10_000;
const KNOWN_OPTIONS = ['backend', 'schemas', 'schedules', 'shutdownTimeout', 'httpErrors', 'maxPayloadBytes', 'instrumentation'];

/** Every method of JobBackend a backend must have (completeAndFetch is optional). */
const BACKEND_METHODS = [
  'declareQueue',
  'queueType',
  'deleteQueue',
  'cleanQueue',
  'countWaiting',
  'publish',
  'fetch',
  'extendLease',
  'complete',
  'retry',
  'deadLetter',
  'release',
  'getJob',
  'waitForFinished',
  'listDeadLetters',
  'redrive',
  'purgeDeadLetters',
  'queueStats',
  'close',
] as const;

/** Duck-typed: a backend from another copy of this package is still a backend. */
export function isJobBackend(value: unknown): value is JobBackend {
  return missingBackendMembers(value).length === 0;
}

function missingBackendMembers(value: unknown): string[] {
  if (value === null || typeof value !== 'object') return ['(not an object)'];
  const candidate = value as Record<string, unknown>;
  const missing: string[] = BACKEND_METHODS.filter((method) => typeof candidate[method] !== 'function').map((method) => `${method}()`);
  if (typeof candidate.name !== 'string') missing.push('name');
  if (candidate.capabilities === null || typeof candidate.capabilities !== 'object') missing.push('capabilities');
  return missing;
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'object')
    return value.constructor && value.constructor !== Object ? `a ${value.constructor.name}` : 'a plain object';
  return `${typeof value} ${JSON.stringify(value)}`;
}

/**
 * Checks the options of JobsModule.forRoot / forRootAsync and fills in defaults. A missing or fake
 * backend is refused rather than replaced: an in-memory fallback would lose every job in production.
 */
export function resolveJobsModuleOptions(options: JobsModuleOptions | undefined): ResolvedJobsModuleOptions {
  if (options === null || typeof options !== 'object') {
    throw new InvalidOptionError(
      WHERE,
      'options',
      `must be a backend or { backend, schemas?, shutdownTimeout?, httpErrors? }, got ${describe(options)}`,
    );
  }
  const unknown = Object.keys(options).filter((key) => !KNOWN_OPTIONS.includes(key));
  if (unknown.length > 0)
    throw new InvalidOptionError(WHERE, unknown[0], `is not a JobsModule option (known: ${KNOWN_OPTIONS.join(', ')})`);

  const { backend, schemas = [], schedules = [], shutdownTimeout = DEFAULT_SHUTDOWN_TIMEOUT_MS, httpErrors = true } = options;
  if (backend === undefined || backend === null) {
    throw new InvalidOptionError(
      WHERE,
      'backend',
      'is required — pass new LocalClient(), new RedisClient(url) or new RabbitMQClient(url), or a factory each app calls, such as () => new LocalClient() (from forRootAsync, return it from useFactory)',
    );
  }
  if (typeof backend === 'function') {
    // A class is a function too, but Nest would call it without `new`.
    if (/^class\b/.test(Function.prototype.toString.call(backend))) {
      throw new InvalidOptionError(
        WHERE,
        'backend',
        `is the class ${backend.name}, not a backend — pass new ${backend.name}(…), or a factory: () => new ${backend.name}(…)`,
      );
    }
  } else {
    const missing = missingBackendMembers(backend);
    if (missing.length > 0) {
      throw new InvalidOptionError(
        WHERE,
        'backend',
        `must implement JobBackend (LocalClient, RedisClient, RabbitMQClient); ${describe(backend)} lacks ${missing.join(', ')}`,
      );
    }
  }
  if (!Array.isArray(schemas))
    throw new InvalidOptionError(WHERE, 'schemas', `must be an array of JobSchema or { schema, queueType }, got ${describe(schemas)}`);
  schemas.forEach((registration, index) => {
    const schema = registration instanceof JobSchema ? registration : (registration as { schema?: unknown } | null)?.schema;
    if (!(schema instanceof JobSchema)) {
      throw new InvalidOptionError(
        WHERE,
        `schemas[${index}]`,
        `must be a JobSchema or { schema: JobSchema, queueType }, got ${describe(registration)}`,
      );
    }
    const queueType = registration instanceof JobSchema ? undefined : registration.queueType;
    if (queueType !== undefined && !QUEUE_TYPES.includes(queueType)) {
      throw new InvalidOptionError(
        WHERE,
        `schemas[${index}].queueType`,
        `must be one of ${QUEUE_TYPES.join(', ')}, got ${describe(queueType)}`,
      );
    }
  });
  resolveScheduleRegistrations(WHERE, schedules);
  if (typeof shutdownTimeout !== 'number' || !Number.isFinite(shutdownTimeout) || shutdownTimeout < 0) {
    throw new InvalidOptionError(WHERE, 'shutdownTimeout', `must be a number of milliseconds ≥ 0, got ${describe(shutdownTimeout)}`);
  }
  if (typeof httpErrors !== 'boolean')
    throw new InvalidOptionError(WHERE, 'httpErrors', `must be true or false, got ${describe(httpErrors)}`);
  // The Orchestrator's own check, so both places accept and refuse the same values.
  const { maxPayloadBytes, instrumentation } = resolveOrchestratorOptions(
    { maxPayloadBytes: options.maxPayloadBytes, instrumentation: options.instrumentation },
    WHERE,
  );
  return { backend, schemas, schedules, shutdownTimeout, httpErrors, maxPayloadBytes, instrumentation };
}

/** The backend of one app: the one given, or what the factory given makes (checked like a given one). */
export function backendOf(options: ResolvedJobsModuleOptions): JobBackend {
  if (typeof options.backend !== 'function') return options.backend;
  const made: unknown = options.backend();
  const missing = missingBackendMembers(made);
  if (missing.length > 0) {
    throw new InvalidOptionError(
      WHERE,
      'backend',
      `is a factory that must return a JobBackend (LocalClient, RedisClient, RabbitMQClient); it returned ${describe(made)}, which lacks ${missing.join(', ')}`,
    );
  }
  return made as JobBackend;
}
